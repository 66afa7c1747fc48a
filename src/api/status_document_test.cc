// The status document and /cluster in the states the fixtures do not cover: PostgreSQL stopped or
// not answering, paused, no view of etcd, sync mode, scheduled operations, 4.x vocabulary.
#include "api/status_document.h"

#include <gtest/gtest.h>

#include "api/python_json.h"
#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

using model::MemberName;
using Json = nlohmann::ordered_json;

const MonoTime kNow = MonoTime(std::chrono::hours(1));

std::string document(const model::StatusSnapshot& s, bool view_valid = true) {
  return python_json(status_document(s, node_status(s, view_valid)));
}

TEST(StatusDocument, HealthyPrimaryIsByteForByteWhatPatroniSends) {
  auto s = testing::leader_snapshot(kNow);
  s.pg.replication.resize(1);
  EXPECT_EQ(document(s),
            "{\"state\": \"running\", \"postmaster_start_time\": \"2026-11-26 20:45:44.828388+00:00\", "
            "\"role\": \"master\", \"server_version\": 150018, \"xlog\": {\"location\": 67273320}, "
            "\"timeline\": 1, \"replication\": [{\"usename\": \"replicator\", \"application_name\": "
            "\"node2\", \"client_addr\": \"127.0.0.1\", \"state\": \"streaming\", \"sync_state\": "
            "\"async\", \"sync_priority\": 0}], \"dcs_last_seen\": 1795725955, "
            "\"database_system_identifier\": \"7712584199298505757\", \"patroni\": {\"version\": "
            "\"3.0.2\", \"scope\": \"pglab\"}}");
}

TEST(StatusDocument, StoppedPostgresShowsStateAndInternalRoleOnly) {
  auto s = testing::replica_snapshot(kNow);
  s.state = model::PgState::kStopped;
  s.pg = {};
  EXPECT_EQ(document(s),
            "{\"state\": \"stopped\", \"role\": \"replica\", \"dcs_last_seen\": 1795725955, "
            "\"database_system_identifier\": \"7712584199298505757\", \"patroni\": {\"version\": "
            "\"3.0.2\", \"scope\": \"pglab\"}}");
}

TEST(StatusDocument, RunningPostgresThatDoesNotAnswerIsUnknown) {
  auto s = testing::leader_snapshot(kNow);
  s.pg.accepting_connections = false;
  Json doc = status_document(s, node_status(s, true));
  EXPECT_EQ(doc["state"], "unknown");
  EXPECT_EQ(doc["role"], "master");
  EXPECT_FALSE(doc.contains("xlog"));
}

TEST(StatusDocument, NoDcsViewMarksTheClusterUnlocked) {
  auto s = testing::replica_snapshot(kNow);
  Json doc = status_document(s, node_status(s, false));
  EXPECT_EQ(doc["cluster_unlocked"], true);
  auto unlocked = testing::replica_snapshot(kNow);
  auto cluster = std::make_shared<model::ClusterState>(*unlocked.cluster);
  cluster->leader.reset();
  unlocked.cluster = cluster;
  EXPECT_EQ(status_document(unlocked, node_status(unlocked, true))["cluster_unlocked"], true);
  EXPECT_FALSE(status_document(testing::replica_snapshot(kNow),
                               node_status(testing::replica_snapshot(kNow), true))
                   .contains("cluster_unlocked"));
}

TEST(StatusDocument, OptionalFlagsAppearOnlyWhenSetInPatroniOrder) {
  auto s = testing::replica_snapshot(kNow);
  s.paused = true;
  s.pending_restart = true;
  s.watchdog_failed = true;
  s.failsafe_active = true;
  s.tags.nofailover = true;
  s.tags.custom["zone"] = "a";
  s.scheduled_restart = {{"schedule", "2026-11-26T21:00:00+00:00"},
                         {"postmaster_start_time", "x"}, {"role", "replica"}};
  Json doc = status_document(s, node_status(s, false));
  std::vector<std::string> keys;
  for (auto it = doc.begin(); it != doc.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "state", "postmaster_start_time", "role", "server_version", "xlog",
                      "timeline", "cluster_unlocked", "failsafe_mode_is_active", "dcs_last_seen",
                      "tags", "database_system_identifier", "pending_restart", "patroni",
                      "scheduled_restart", "watchdog_failed", "pause"}));
  EXPECT_EQ(doc["tags"].dump(), R"({"nofailover":true,"zone":"a"})");
  EXPECT_FALSE(doc["scheduled_restart"].contains("postmaster_start_time"));
  EXPECT_EQ(doc["scheduled_restart"]["schedule"], "2026-11-26T21:00:00+00:00");
}

TEST(StatusDocument, ReplicaXlogFallsBackToReplayWhenNothingWasReceived) {
  auto s = testing::replica_snapshot(kNow);
  s.pg.received_lsn = model::Lsn(0);
  s.pg.replayed_lsn = model::Lsn(100);
  s.pg.replayed_timestamp.reset();
  s.pg.replay_paused = true;
  EXPECT_EQ(python_json(status_document(s, node_status(s, true))["xlog"]),
            "{\"received_location\": 100, \"replayed_location\": 100, \"replayed_timestamp\": null, "
            "\"paused\": true}");
}

TEST(StatusDocument, SyncStandbyNeedsSyncModeTheSyncKeyAndAFreshView) {
  auto s = testing::replica_snapshot(kNow);
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  cluster->sync = model::SyncState{MemberName("node1"), {MemberName("node2")}, {}};
  s.cluster = cluster;
  EXPECT_FALSE(node_status(s, true).sync_standby);  // synchronous_mode off in /config
  (*cluster->config)["synchronous_mode"] = "on";
  EXPECT_TRUE(node_status(s, true).sync_standby);
  EXPECT_FALSE(node_status(s, false).sync_standby);
  EXPECT_EQ(status_document(s, node_status(s, true))["sync_standby"], true);
}

TEST(StatusDocument, PrimaryVocabularySaysPrimary) {
  auto s = testing::leader_snapshot(kNow);
  s.vocabulary = model::RoleVocabulary::kPrimary;
  EXPECT_EQ(status_document(s, node_status(s, true))["role"], "primary");
}

TEST(StatusDocument, StandbyClusterReplicaShowsItsInternalRole) {
  auto s = testing::replica_snapshot(kNow);
  s.standby_cluster = true;
  s.role = model::Role::kStandbyLeader;
  EXPECT_EQ(status_document(s, node_status(s, true))["role"], "standby_leader");
}

TEST(ClusterDocument, ShowsPauseSyncStandbyUnknownLagAndTheScheduledSwitchover) {
  auto cluster = *testing::healthy_cluster();
  (*cluster.config)["pause"] = true;
  cluster.sync = model::SyncState{MemberName("node1"), {MemberName("node3")}, {}};
  auto& node2 = cluster.members[MemberName("node2")];
  node2.xlog_location.reset();
  node2.raw["tags"] = {{"nofailover", true}};
  node2.raw.erase("xlog_location");
  model::FailoverRequest request;
  request.leader = MemberName("node1");
  request.candidate = MemberName("node2");
  request.scheduled_text = "2026-11-26T22:00:00+01:00";
  request.scheduled_at = WallTime(std::chrono::seconds(1795726800));
  cluster.failover = request;
  Json doc = cluster_document(cluster);
  EXPECT_EQ(doc["members"][0]["role"], "leader");
  EXPECT_FALSE(doc["members"][0].contains("lag"));
  EXPECT_EQ(doc["members"][1]["lag"], "unknown");
  EXPECT_EQ(doc["members"][1]["tags"]["nofailover"], true);
  EXPECT_EQ(doc["members"][2]["role"], "sync_standby");
  EXPECT_EQ(doc["pause"], true);
  EXPECT_EQ(python_json(doc["scheduled_switchover"]),
            "{\"at\": \"2026-11-26T22:00:00+01:00\", \"from\": \"node1\", \"to\": \"node2\"}");
}

TEST(ClusterDocument, LeaderOfAStandbyClusterIsTheStandbyLeader) {
  auto cluster = *testing::healthy_cluster();
  (*cluster.config)["standby_cluster"] = {{"host", "10.0.0.1"}, {"port", 5432}};
  EXPECT_EQ(cluster_document(cluster)["members"][0]["role"], "standby_leader");
}

TEST(ClusterDocument, LagIsOptimeMinusTheMemberPositionAndNeverNegative) {
  auto cluster = *testing::healthy_cluster();
  cluster.status.optime = model::Lsn(67273264 + 500);
  cluster.members[MemberName("node3")].xlog_location = model::Lsn(67273264 + 900);
  Json doc = cluster_document(cluster);
  EXPECT_EQ(doc["members"][1]["lag"], 500);
  EXPECT_EQ(doc["members"][2]["lag"], 0);
}

TEST(HistoryDocument, IsAnEmptyListWithoutTheKey) {
  auto cluster = *testing::healthy_cluster();
  EXPECT_EQ(python_json(history_document(cluster)), "[]");
  cluster.history = std::vector<model::HistoryEntry>{
      {model::TimelineId(1), model::Lsn(67285240), "no recovery target specified",
       "2026-11-26T20:46:07.099387+00:00", "node2"},
      {model::TimelineId(2), model::Lsn(99), "old format", std::nullopt, std::nullopt}};
  EXPECT_EQ(python_json(history_document(cluster)),
            "[[1, 67285240, \"no recovery target specified\", \"2026-11-26T20:46:07.099387+00:00\", "
            "\"node2\"], [2, 99, \"old format\"]]");
}

struct HostPortRow {
  const char* url;
  const char* host;
  int port;
};

TEST(ConnUrlHostPort, ReadsHostAndPortLikeUrlparse) {
  for (const auto& row : std::vector<HostPortRow>{
           {"postgres://127.0.0.1:5433/postgres", "127.0.0.1", 5433},
           {"postgres://db.example:5432/postgres", "db.example", 5432},
           {"postgres://user@Host1/postgres", "host1", 5432},
           {"postgresql://[::1]:6432/postgres", "::1", 6432},
           {"not a url", "", 0},
       }) {
    HostPort hp = conn_url_host_port(row.url);
    EXPECT_EQ(hp.host, row.host) << row.url;
    EXPECT_EQ(hp.port, row.port) << row.url;
  }
}

TEST(PythonJson, SpacesLikeJsonDumpsAndEscapesNonAscii) {
  Json value = Json::parse(R"({"a": [1, 2.5, true, null], "b": {}, "c": [], "d": "é\"\n"})");
  EXPECT_EQ(python_json(value),
            "{\"a\": [1, 2.5, true, null], \"b\": {}, \"c\": [], \"d\": \"\\u00e9\\\"\\n\"}");
}

}  // namespace
}  // namespace pghalo::api
