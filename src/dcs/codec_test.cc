#include "dcs/codec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dcs/keys.h"

namespace pghalo::dcs {
namespace {

using model::MemberName;

// The keys Patroni 3.0.2 left in etcd after a failover
// (shared/spec/patroni-fixtures/after-failover).
std::vector<RawKv> after_failover() {
  return {
      {"config",
       R"({"ttl":30,"loop_wait":10,"retry_timeout":10,"maximum_lag_on_failover":1048576,"postgresql":{"use_pg_rewind":true,"use_slots":true,"parameters":{"wal_level":"replica","hot_standby":"on","wal_log_hints":"on","max_wal_senders":10,"max_replication_slots":10,"wal_keep_size":"128MB"}}})",
       model::Revision(11), model::Revision(11), model::LeaseId(0)},
      {"failover", "{}", model::Revision(30), model::Revision(41), model::LeaseId(0)},
      {"history",
       R"([[1,67285240,"no recovery target specified","2026-11-26T20:46:07.099387+00:00","node2"],[2,67319944,"no recovery target specified","2026-11-26T20:46:48.587387+00:00","node3"]])",
       model::Revision(46), model::Revision(61), model::LeaseId(0)},
      {"initialize", "7712584199298505757", model::Revision(4), model::Revision(10),
       model::LeaseId(0)},
      {"leader", "node3", model::Revision(57), model::Revision(57),
       model::LeaseId(0x20f4a2199b5e0706)},
      {"members/node1",
       R"({"conn_url":"postgres://127.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni","state":"running","role":"replica","version":"3.0.2","xlog_location":67357592,"timeline":3})",
       model::Revision(20), model::Revision(66), model::LeaseId(0x1838a2199b5e0b07)},
      {"members/node3",
       R"({"conn_url":"postgres://127.0.0.1:5434/postgres","api_url":"http://127.0.0.1:8010/patroni","state":"running","role":"master","version":"3.0.2","xlog_location":67357592,"timeline":3})",
       model::Revision(21), model::Revision(67), model::LeaseId(0x20f4a2199b5e0706)},
      {"status", R"({"optime":67357592})", model::Revision(12), model::Revision(65),
       model::LeaseId(0)},
  };
}

TEST(DecodeCluster, DecodesEveryKeyPatroniWroteAfterAFailover) {
  auto state = decode_cluster(after_failover(), model::Revision(67));
  EXPECT_TRUE(state.problems.empty());
  EXPECT_EQ(state.revision, model::Revision(67));
  ASSERT_TRUE(state.initialize);
  EXPECT_EQ(*state.initialize, "7712584199298505757");
  ASSERT_TRUE(state.leader);
  EXPECT_EQ(state.leader->name, MemberName("node3"));
  EXPECT_EQ(state.leader->lease, model::LeaseId(0x20f4a2199b5e0706));
  EXPECT_EQ(state.leader->mod_revision, model::Revision(57));
  ASSERT_EQ(state.members.size(), 2u);
  const auto* node3 = state.member(MemberName("node3"));
  ASSERT_NE(node3, nullptr);
  EXPECT_EQ(node3->role, model::Role::kPrimary);
  EXPECT_EQ(node3->api_url, "http://127.0.0.1:8010/patroni");
  EXPECT_EQ(node3->xlog_location, model::Lsn(67357592));
  EXPECT_EQ(node3->timeline, model::TimelineId(3));
  EXPECT_EQ(node3->lease, model::LeaseId(0x20f4a2199b5e0706));
  ASSERT_TRUE(state.config);
  EXPECT_EQ((*state.config)["ttl"], 30);
  EXPECT_EQ(state.config_revision, model::Revision(11));
  ASSERT_TRUE(state.history);
  ASSERT_EQ(state.history->size(), 2u);
  EXPECT_EQ(state.history->back().new_leader, "node3");
  EXPECT_EQ(state.history_timeline(), 3);
  EXPECT_EQ(state.status.optime, model::Lsn(67357592));
  ASSERT_TRUE(state.failover);
  EXPECT_TRUE(state.failover->is_empty());
  EXPECT_FALSE(state.has_failover_request());
  EXPECT_EQ(state.failover_revision, model::Revision(41));
}

// Reads "key\nvalue\n" pairs as `etcdctl get --prefix` prints them.
std::vector<RawKv> read_get_prefix(const std::filesystem::path& file, const KeyLayout& layout) {
  std::ifstream in(file);
  std::vector<RawKv> kvs;
  std::string key, value;
  while (std::getline(in, key) && std::getline(in, value)) {
    if (auto relative = layout.relative(key)) kvs.push_back({*relative, value, {}, {}, {}});
  }
  return kvs;
}

TEST(DecodeCluster, DecodesEveryRecordedPatroniFixtureWithoutProblems) {
  std::filesystem::path root = PGHALO_FIXTURES_DIR;
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no fixtures at " << root;
  KeyLayout layout("/service", "pglab");
  int files = 0;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    auto file = dir.path() / "etcd-get-prefix.txt";
    if (!std::filesystem::exists(file)) continue;
    ++files;
    auto kvs = read_get_prefix(file, layout);
    auto state = decode_cluster(kvs, model::Revision(1));
    EXPECT_TRUE(state.problems.empty()) << file << ": " << state.problems.front();
    EXPECT_TRUE(state.leader) << file;
    EXPECT_TRUE(state.config) << file;
    EXPECT_GE(state.members.size(), 2u) << file;
    EXPECT_GT(state.status.optime.value, 0u) << file;
  }
  EXPECT_GE(files, 1);
}

struct CorruptCase {
  std::string key;
  std::string value;
  std::string problem;
};

class CorruptValues : public testing::TestWithParam<CorruptCase> {};

TEST_P(CorruptValues, DecodeAsAbsentAndAreListedAsProblems) {
  const auto& c = GetParam();
  auto state = decode_cluster({{c.key, c.value, {}, {}, {}}}, model::Revision(3));
  ASSERT_EQ(state.problems.size(), 1u);
  EXPECT_EQ(state.problems[0], c.problem);
  EXPECT_TRUE(state.members.empty());
  EXPECT_FALSE(state.config);
  EXPECT_FALSE(state.history);
  EXPECT_FALSE(state.sync);
  EXPECT_FALSE(state.failover);
  EXPECT_FALSE(state.failsafe);
  EXPECT_FALSE(state.leader);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CorruptValues,
    testing::Values(
        CorruptCase{"members/node2", R"({"conn)", "members/node2: invalid JSON at byte 7"},
        CorruptCase{"members/node2", "[1,2]", "members/node2: expected a JSON object, got array"},
        CorruptCase{"members/node2", R"({"xlog_location":"12"})",
                    "members/node2: xlog_location is not a non-negative integer"},
        CorruptCase{"members/node2", R"({"timeline":1.5})",
                    "members/node2: timeline is not an integer"},
        CorruptCase{"members/node2", R"({"api_url":7})", "members/node2: api_url is not a string"},
        CorruptCase{"members/node2", R"({"tags":"x"})", "members/node2: tags is not an object"},
        CorruptCase{"config", "{", "config: invalid JSON at byte 2"},
        CorruptCase{"config", "", "config: invalid JSON at byte 1"},
        CorruptCase{"history", R"({"a":1})", "history: expected a JSON array"},
        CorruptCase{"history", R"([[1,2]])",
                    "history: entry 0: expected an array of 3 to 5 elements"},
        CorruptCase{"history", R"([["1",2,"x"]])",
                    "history: entry 0: timeline and LSN must be integers"},
        CorruptCase{"sync", "[]", "sync: expected a JSON object, got array"},
        CorruptCase{"sync", R"({"leader":"a","sync_standby":5})",
                    "sync: sync_standby is neither a string nor null"},
        CorruptCase{"failover", R"({"leader":)", "failover: invalid JSON at byte 11"},
        CorruptCase{"failover", R"({"member":true})", "failover: member is not a string"},
        CorruptCase{"failsafe", R"({"a":1})", "failsafe: the API URL of a is not a string"},
        CorruptCase{"leader", "", "leader: empty value"},
        CorruptCase{"status", "x", "status: invalid JSON at byte 1"},
        CorruptCase{"optime/leader", "12x", "optime/leader: not an integer LSN"}));

TEST(DecodeCluster, IgnoresKeysDeeperThanMembersAndUnknownKeys) {
  auto state = decode_cluster({{"members/node1/extra", "{}", {}, {}, {}},
                               {"members/", "{}", {}, {}, {}},
                               {"0/leader", "x", {}, {}, {}},
                               {"something", "y", {}, {}, {}}},
                              model::Revision(1));
  EXPECT_TRUE(state.members.empty());
  EXPECT_FALSE(state.leader);
  EXPECT_TRUE(state.problems.empty());
}

TEST(DecodeCluster, FallsBackToLegacyOptimeOnlyWhenStatusIsAbsent) {
  auto legacy = decode_cluster({{"optime/leader", "1234", {}, {}, {}}}, model::Revision(1));
  EXPECT_EQ(legacy.status.optime, model::Lsn(1234));
  auto both = decode_cluster(
      {{"optime/leader", "1234", {}, {}, {}}, {"status", R"({"optime":99})", {}, {}, {}}},
      model::Revision(1));
  EXPECT_EQ(both.status.optime, model::Lsn(99));
}

TEST(DecodeCluster, KeepsAnEmptyInitializeWhileBootstrapping) {
  auto state = decode_cluster({{"initialize", "", {}, {}, {}}}, model::Revision(1));
  ASSERT_TRUE(state.initialize);
  EXPECT_EQ(*state.initialize, "");
}

TEST(DecodeCluster, ListsAnUnparsableScheduleButKeepsTheRequest) {
  auto state = decode_cluster(
      {{"failover", R"({"leader":"a","scheduled_at":"tomorrow"})", {}, model::Revision(8), {}}},
      model::Revision(9));
  ASSERT_TRUE(state.failover);
  EXPECT_EQ(state.failover->leader, MemberName("a"));
  EXPECT_FALSE(state.failover->scheduled_at);
  EXPECT_EQ(state.failover->scheduled_text, "tomorrow");
  EXPECT_EQ(state.failover->mod_revision, model::Revision(8));
  ASSERT_EQ(state.problems.size(), 1u);
  EXPECT_EQ(state.problems[0],
            "failover: scheduled_at 'tomorrow' is not an ISO 8601 time with a timezone");
}

TEST(DecodeMember, ReadsTheLegacyConnectionStringForm) {
  auto member = decode_member(MemberName("old"),
                              "postgres://replicator:secret@10.0.0.1:5432/"
                              "postgres?application_name=http://10.0.0.1:8008/patroni");
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->conn_url, "postgres://replicator:secret@10.0.0.1:5432/postgres");
  EXPECT_EQ(member->api_url, "http://10.0.0.1:8008/patroni");
}

TEST(DecodeMember, ReadsEveryPublishedField) {
  auto member = decode_member(
      MemberName("n1"),
      R"({"conn_url":"postgres://h:5432/postgres","api_url":"https://h:8008/patroni","state":"running",
          "role":"primary","version":"4.0.1","proxy_url":"postgres://p:6432/postgres","checkpoint_after_promote":false,
          "tags":{"nofailover":true,"zone":"a"},"pending_restart":true,"xlog_location":5,"replication_state":"streaming",
          "timeline":2,"scheduled_restart":{"schedule":"2023-01-01T00:00:00+00:00"},"pause":true})");
  ASSERT_TRUE(member.ok()) << member.error().message;
  EXPECT_EQ(member->role, model::Role::kPrimary);
  EXPECT_EQ(member->role_text, "primary");
  EXPECT_EQ(member->checkpoint_after_promote, false);
  EXPECT_TRUE(member->tags.nofailover);
  EXPECT_EQ(member->tags.custom.at("zone"), "a");
  EXPECT_TRUE(member->pending_restart);
  EXPECT_TRUE(member->pause);
  EXPECT_EQ(member->replication_state, "streaming");
  EXPECT_EQ(member->scheduled_restart["schedule"], "2023-01-01T00:00:00+00:00");
  EXPECT_EQ(member->raw["proxy_url"], "postgres://p:6432/postgres");
}

TEST(DecodeMember, AcceptsAnyWhitespaceAsPatronictlEditConfigWrites) {
  auto member = decode_member(MemberName("n"), "{\n  \"role\": \"master\" ,  \"timeline\" : 4 }");
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->role, model::Role::kPrimary);
}

TEST(DecodeHistory, AcceptsThreeToFiveElementsPerLine) {
  auto history = decode_history(
      R"([[1,100,"no recovery target specified"],[2,200,"r","2023-05-02T10:11:12+00:00"],[3,300,"r","t","n"]])");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_FALSE((*history)[0].timestamp);
  EXPECT_EQ((*history)[1].timestamp, "2023-05-02T10:11:12+00:00");
  EXPECT_FALSE((*history)[1].new_leader);
  EXPECT_EQ((*history)[2].new_leader, "n");
  EXPECT_EQ((*history)[2].switch_lsn, model::Lsn(300));
}

TEST(DecodeStatus, ReadsSlotsAndTreatsABadOptimeAsZero) {
  auto status = decode_status(R"({"optime":"x","slots":{"a":10,"b":"bad"},"retain_slots":["a"]})");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->optime, model::Lsn(0));
  ASSERT_EQ(status->slots.size(), 1u);
  EXPECT_EQ(status->slots.at("a"), 10u);
}

struct FailoverCase {
  std::string value;
  std::optional<std::string> leader;
  std::optional<std::string> candidate;
};

class FailoverForms : public testing::TestWithParam<FailoverCase> {};

TEST_P(FailoverForms, DecodeToLeaderAndCandidate) {
  auto request = decode_failover(GetParam().value);
  ASSERT_TRUE(request.ok());
  auto name = [](const std::optional<MemberName>& n) {
    return n ? std::optional(n->value) : std::nullopt;
  };
  EXPECT_EQ(name(request->leader), GetParam().leader);
  EXPECT_EQ(name(request->candidate), GetParam().candidate);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FailoverForms,
    testing::Values(FailoverCase{"{}", std::nullopt, std::nullopt},
                    FailoverCase{"", std::nullopt, std::nullopt},
                    FailoverCase{R"({"leader":"a","member":"b"})", "a", "b"},
                    FailoverCase{R"({"member":"b"})", std::nullopt, "b"},
                    FailoverCase{R"({"leader":"","member":""})", std::nullopt, std::nullopt},
                    FailoverCase{"a:b", "a", "b"}, FailoverCase{" a : ", "a", std::nullopt},
                    FailoverCase{":b", std::nullopt, "b"}));

TEST(DecodeFailover, ParsesTheScheduleWithItsTimezone) {
  auto request = decode_failover(R"({"leader":"a","scheduled_at":"2023-05-02T12:11:12.5+02:00"})");
  ASSERT_TRUE(request.ok());
  ASSERT_TRUE(request->scheduled_at);
  EXPECT_EQ(format_iso8601(*request->scheduled_at), "2023-05-02T10:11:12.500000+00:00");
}

TEST(ParseIso8601, AcceptsPatroniAndRfc3339FormsAndRejectsNaiveTimes) {
  auto utc = parse_iso8601_with_zone("2023-05-02T10:11:12.345678+00:00");
  ASSERT_TRUE(utc);
  EXPECT_EQ(format_iso8601(*utc), "2023-05-02T10:11:12.345678+00:00");
  EXPECT_EQ(parse_iso8601_with_zone("2023-05-02 10:11Z"),
            parse_iso8601_with_zone("2023-05-02T10:11:00+00:00"));
  EXPECT_EQ(parse_iso8601_with_zone("2023-05-02T05:11:00-0500"),
            parse_iso8601_with_zone("2023-05-02T10:11:00Z"));
  EXPECT_FALSE(parse_iso8601_with_zone("2023-05-02T10:11:12"));
  EXPECT_FALSE(parse_iso8601_with_zone("2023-02-30T10:11:12Z"));
  EXPECT_FALSE(parse_iso8601_with_zone("yesterday"));
}

TEST(DecodeSync, ReadsBaseAndQuorumFormsAndTreatsNoLeaderAsEmpty) {
  auto base = decode_sync(R"({"leader":"a","sync_standby":"c,b"})");
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(base->leader, MemberName("a"));
  ASSERT_EQ(base->sync_standby.size(), 2u);
  EXPECT_EQ(base->sync_standby[0], MemberName("b"));
  auto quorum = decode_sync(R"({"leader":"a","quorum":1,"sync_standby":null})");
  ASSERT_TRUE(quorum.ok());
  EXPECT_TRUE(quorum->sync_standby.empty());
  auto empty = decode_sync("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->leader);
}

TEST(EncodeMember, WritesPatronisFieldOrderCompactly) {
  MemberDocument doc;
  doc.conn_url = "postgres://127.0.0.1:5432/postgres";
  doc.api_url = "http://127.0.0.1:8008/patroni";
  doc.state = "running";
  doc.role = "replica";
  doc.version = "3.0.2";
  doc.xlog_location = 67357592;
  doc.timeline = 3;
  EXPECT_EQ(
      encode_member(doc),
      R"({"conn_url":"postgres://127.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni","state":"running","role":"replica","version":"3.0.2","xlog_location":67357592,"timeline":3})");
  doc.tags = {{"nofailover", true}};
  doc.checkpoint_after_promote_pending = true;
  doc.pending_restart = true;
  doc.pause = true;
  doc.proxy_url = "postgres://p/postgres";
  doc.replication_state = "streaming";
  doc.scheduled_restart = {{"schedule", "s"}};
  EXPECT_EQ(
      encode_member(doc),
      R"({"conn_url":"postgres://127.0.0.1:5432/postgres","api_url":"http://127.0.0.1:8008/patroni","state":"running","role":"replica","version":"3.0.2","proxy_url":"postgres://p/postgres","checkpoint_after_promote":false,"tags":{"nofailover":true},"pending_restart":true,"xlog_location":67357592,"replication_state":"streaming","timeline":3,"scheduled_restart":{"schedule":"s"},"pause":true})");
}

TEST(EncodeMember, OrdersAPlainJsonDocumentLikeTheStructAndKeepsExtraFields) {
  MemberDocument doc;
  doc.conn_url = "c";
  doc.api_url = "a";
  doc.state = "running";
  doc.role = "master";
  doc.version = "3.0.2";
  doc.timeline = 2;
  nlohmann::json plain = nlohmann::json::parse(encode_member(doc));
  plain["zzz_future"] = 1;
  EXPECT_EQ(
      encode_member_json(plain),
      R"({"conn_url":"c","api_url":"a","state":"running","role":"master","version":"3.0.2","timeline":2,"zzz_future":1})");
}

TEST(EncodeAndDecode, RoundTripHistoryStatusFailoverSyncAndFailsafe) {
  std::vector<model::HistoryEntry> history = {{model::TimelineId(1), model::Lsn(25165984),
                                               "no recovery target specified",
                                               "2023-05-02T10:11:12.345678+00:00", "postgresql1"}};
  EXPECT_EQ(
      encode_history(history),
      R"([[1,25165984,"no recovery target specified","2023-05-02T10:11:12.345678+00:00","postgresql1"]])");
  auto history_back = decode_history(encode_history(history));
  ASSERT_TRUE(history_back.ok());
  EXPECT_EQ((*history_back)[0].new_leader, "postgresql1");

  model::ClusterStatus status{model::Lsn(83886248), {}};
  EXPECT_EQ(encode_status(status), R"({"optime":83886248})");
  status.slots["logical_a"] = 7;
  EXPECT_EQ(encode_status(status), R"({"optime":83886248,"slots":{"logical_a":7}})");
  EXPECT_EQ(decode_status(encode_status(status))->slots.at("logical_a"), 7u);

  model::FailoverRequest request;
  EXPECT_EQ(encode_failover(request), "{}");
  request.leader = MemberName("a");
  request.candidate = MemberName("b");
  request.scheduled_at = parse_iso8601_with_zone("2023-05-02T10:11:12+00:00");
  EXPECT_EQ(encode_failover(request),
            R"({"leader":"a","member":"b","scheduled_at":"2023-05-02T10:11:12.000000+00:00"})");
  EXPECT_EQ(decode_failover(encode_failover(request))->scheduled_at, request.scheduled_at);

  EXPECT_EQ(encode_sync(MemberName("a"), {MemberName("c"), MemberName("b")}),
            R"({"leader":"a","sync_standby":"b,c"})");
  EXPECT_EQ(encode_sync(MemberName("a"), {}), R"({"leader":"a","sync_standby":null})");
  EXPECT_EQ(decode_sync(encode_sync(MemberName("a"), {MemberName("b")}))->sync_standby.size(), 1u);

  std::map<MemberName, std::string> failsafe = {{MemberName("n1"), "http://h1/patroni"},
                                                {MemberName("n2"), "http://h2/patroni"}};
  EXPECT_EQ(encode_failsafe(failsafe), R"({"n1":"http://h1/patroni","n2":"http://h2/patroni"})");
  EXPECT_EQ(*decode_failsafe(encode_failsafe(failsafe)), failsafe);
}

TEST(KeyLayout, CollapsesSlashesLikePatroni) {
  EXPECT_EQ(KeyLayout("/service", "batman").prefix(), "/service/batman/");
  EXPECT_EQ(KeyLayout("/postgresql-common/", "15-main").base(), "/postgresql-common/15-main");
  EXPECT_EQ(KeyLayout("service//", "/x").prefix(), "/service/x/");
  KeyLayout layout("/service", "b");
  EXPECT_EQ(layout.prefix_end(), "/service/b0");
  EXPECT_EQ(layout.member_key(MemberName("n1")), "/service/b/members/n1");
  EXPECT_EQ(layout.relative("/service/b/leader"), "leader");
  EXPECT_FALSE(layout.relative("/service/bb/leader"));
  EXPECT_FALSE(layout.relative("/service/b/"));
}

}  // namespace
}  // namespace pghalo::dcs
