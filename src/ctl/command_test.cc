#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ctl/commands.h"
#include "ctl/testing/ctl_fixture.h"

namespace pghalo::ctl {
namespace {

using testing::CtlFixture;
using testing::patroni_status;
using testing::patronictl_output;

const char kNode1[] = "http://127.0.0.1:8008";
const char kNode2[] = "http://127.0.0.1:8009";

nlohmann::json config_in_etcd(CtlFixture& f) {
  return nlohmann::json::parse(f.kv.get("/service/pglab/config")->value);
}

TEST(Commands, HistoryAndShowConfigPrintWhatPatronictlPrints) {
  CtlFixture f;
  f.load_scenario("after-failover");
  ASSERT_TRUE(cmd_history(f.context(), std::nullopt, Format::kPretty).ok());
  EXPECT_EQ(f.output(), patronictl_output("after-failover", "history.txt"));
  f.out.str("");
  ASSERT_TRUE(cmd_show_config(f.context(), std::nullopt).ok());
  EXPECT_EQ(f.output(), patronictl_output("after-failover", "show-config.txt"));
}

TEST(Commands, EditConfigSetsValuesShowsTheDiffAndWritesWithTheRevision) {
  CtlFixture f;
  f.load_scenario("healthy");
  EditConfigOptions o;
  o.set = {"ttl=20"};
  o.pg = {"max_connections=200"};
  o.force = true;
  Status s = cmd_edit_config(f.context(), o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_NE(f.output().find("-ttl: 30\n+ttl: 20\n"), std::string::npos) << f.output();
  EXPECT_NE(f.output().find("+    max_connections: 200\n"), std::string::npos);
  EXPECT_NE(f.output().find("Configuration changed"), std::string::npos);
  auto config = config_in_etcd(f);
  EXPECT_EQ(config["ttl"], 20);
  EXPECT_EQ(config["postgresql"]["parameters"]["max_connections"], 200);
}

// Someone else writes /config while the operator reads the diff.
class ConcurrentWriter final : public Prompter {
 public:
  explicit ConcurrentWriter(CtlFixture& f) : f_(f) {}
  std::optional<std::string> read_line(const std::string&, bool) override {
    f_.put("config", R"({"ttl":25})");
    return "y";
  }

 private:
  CtlFixture& f_;
};

TEST(Commands, EditConfigRefusesToOverwriteAConcurrentChange) {
  CtlFixture f;
  f.load_scenario("healthy");
  ConcurrentWriter writer(f);
  Context ctx = f.context();
  Context with_writer{ctx.settings, ctx.kv, ctx.rest, ctx.sql, ctx.runner, ctx.clock,
                      ctx.sleep,    ctx.out, ctx.err, writer};
  EditConfigOptions o;
  o.set = {"ttl=20"};
  Status s = cmd_edit_config(with_writer, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("concurrent changes"), std::string::npos);
  EXPECT_EQ(config_in_etcd(f)["ttl"], 25);
}

TEST(Commands, EditConfigFromStdinNeedsForceAndUnchangedConfigsAreNotWritten) {
  CtlFixture f;
  f.load_scenario("healthy");
  EditConfigOptions o;
  o.apply = "-";
  o.stdin_text = "ttl: 30\n";
  ASSERT_TRUE(cmd_edit_config(f.context(), o).ok());
  EXPECT_EQ(f.output(), "Not changed\n");
  o.stdin_text = "loop_wait: 5\npostgresql: {use_slots: null}\n";
  Status s = cmd_edit_config(f.context(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(f.output().find("Use --force option to apply changes"), std::string::npos);
  EXPECT_EQ(config_in_etcd(f)["loop_wait"], 10);
  o.force = true;
  ASSERT_TRUE(cmd_edit_config(f.context(), o).ok());
  EXPECT_EQ(config_in_etcd(f)["loop_wait"], 5);
  EXPECT_FALSE(config_in_etcd(f)["postgresql"].contains("use_slots"));
}

TEST(Commands, EditConfigRunsTheEditorOnATemporaryFile) {
  CtlFixture f;
  f.load_scenario("healthy");
  std::string edited_path;
  f.context().run_attached = [&](const AttachedProgram& p) -> Result<int> {
    edited_path = p.argv.back();
    EXPECT_EQ(p.argv.front(), "myeditor");
    std::ofstream(edited_path) << "ttl: 15\nloop_wait: 3\n";
    return 0;
  };
  EditConfigOptions o;
  o.editor = "myeditor";
  o.force = true;
  ASSERT_TRUE(cmd_edit_config(f.context(), o).ok());
  EXPECT_EQ(config_in_etcd(f), nlohmann::json::parse(R"({"ttl":15,"loop_wait":3})"));
  EXPECT_NE(edited_path.find("pglab-config-"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(edited_path));
}

TEST(Commands, PauseAsksTheLeaderAndWaitsForEveryMember) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.rest.on(std::string("PATCH ") + kNode1 + "/config", [&](const RestRequest& r) {
    EXPECT_EQ(*r.body, R"({"pause":true})");
    f.put("config", R"({"loop_wait":10,"pause":true})");
    for (const std::string n : {"node1", "node2", "node3"}) {
      auto key = "/service/pglab/members/" + n;
      auto member = nlohmann::json::parse(f.kv.get(key)->value);
      member["pause"] = true;
      f.kv.put_direct(key, member.dump());
    }
    return Result<RestResponse>(RestResponse{200, "{}"});
  });
  Status s = cmd_pause(f.context(), std::nullopt, true, true);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_NE(f.output().find("3/3 members paused"), std::string::npos) << f.output();
  EXPECT_NE(f.output().find("Success: cluster management is paused"), std::string::npos);
  Status again = cmd_pause(f.context(), std::nullopt, true, false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "Cluster is already paused");
}

TEST(Commands, PauseWaitGivesUpOnAMemberThatNeverNotices) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.rest.reply(std::string("PATCH ") + kNode1 + "/config", 200, "{}");
  Status s = cmd_pause(f.context(), std::nullopt, true, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("node1, node2, node3 didn't recognize the pause"),
            std::string::npos);
}

TEST(Commands, RestartReportsEachMemberAndFailsWhenOneFailed) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.serve_statuses();
  f.rest.reply(std::string("POST ") + kNode2 + "/restart", 200, "restarted successfully");
  f.rest.reply("POST http://127.0.0.1:8010/restart", 503, "restart failed");
  RestartOptions o;
  o.cluster = "pglab";
  o.role = "replica";
  o.force = true;
  Status s = cmd_restart(f.context(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "restart failed on 1 of 2 members");
  EXPECT_NE(f.output().find("Success: restart on member node2"), std::string::npos);
  EXPECT_NE(f.output().find("Failed: restart for member node3, status code=503, (restart failed)"),
            std::string::npos);
  EXPECT_EQ(*f.rest.requests_to("POST", "/restart")[0].body, "{}");
}

// A restart quicker than the poll interval: every poll sees the replica running, but its
// postmaster start time changed, so the output still says it was down (for 0 to one poll gap).
TEST(Commands, ARestartBetweenTwoPollsIsReportedByTheNewPostmasterStartTime) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.serve_statuses();  // node2's handler below replaces its plain one
  bool restarted = false;
  f.rest.on(std::string("GET ") + kNode2 + "/patroni", [&](const RestRequest&) -> Result<RestResponse> {
    auto doc = nlohmann::json::parse(patroni_status("replica", "running", 0));
    doc["postmaster_start_time"] = restarted ? "2026-11-27 06:00:05.000+00:00"
                                             : "2026-11-27 05:00:00.000+00:00";
    return RestResponse{200, doc.dump()};
  });
  f.rest.on(std::string("POST ") + kNode2 + "/restart", [&](const RestRequest&) -> Result<RestResponse> {
    restarted = true;
    return RestResponse{200, "restarted successfully"};
  });
  RestartOptions o;
  o.cluster = "pglab";
  o.members = {"node2"};
  o.force = true;
  Status s = cmd_restart(f.context(), o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  // The fake clock stands still between the polls: the range collapses to 0.0 s.
  EXPECT_NE(f.output().find("PostgreSQL on node2 was down for 0.0 s"), std::string::npos)
      << f.output();
}

TEST(Commands, RestartOfAnUnknownMemberListsTheMembers) {
  CtlFixture f;
  f.load_scenario("healthy");
  RestartOptions o;
  o.cluster = "pglab";
  o.members = {"node7"};
  o.force = true;
  Status s = cmd_restart(f.context(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message,
            "'node7' is not a member of cluster 'pglab'; its members are: node1, node2, node3");
}

TEST(Commands, ScheduledRestartSendsTheFiltersPatronictlSends) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.rest.reply(std::string("POST ") + kNode1 + "/restart", 202, "Restart scheduled");
  RestartOptions o;
  o.cluster = "pglab";
  o.role = "leader";
  o.force = true;
  o.pending = true;
  o.pg_version = "16.1";
  o.scheduled = "2030-01-01T10:00:00+00:00";
  ASSERT_TRUE(cmd_restart(f.context(), o).ok());
  auto body = nlohmann::json::parse(*f.rest.requests_to("POST", "/restart")[0].body);
  EXPECT_EQ(body["restart_pending"], true);
  EXPECT_EQ(body["postgres_version"], "16.1");
  EXPECT_TRUE(body.contains("schedule"));
  EXPECT_NE(f.output().find("Success: restart scheduled on member node1"), std::string::npos);
}

TEST(Commands, ReloadSaysWhenTheChangeWillApply) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.rest.reply("POST *", 202, "reload scheduled");
  MemberActionOptions o;
  o.cluster = "pglab";
  o.members = {"node2"};
  o.force = true;
  ASSERT_TRUE(cmd_reload(f.context(), o).ok());
  EXPECT_NE(f.output().find("Reload request received for member node2 and will be processed "
                            "within 10 seconds"),
            std::string::npos);
}

TEST(Commands, ReinitRefusesTheLeaderAndWaitsForAReplica) {
  CtlFixture f;
  f.load_scenario("healthy");
  ReinitOptions o;
  o.cluster = "pglab";
  o.members = {"node1"};
  o.force = true;
  Status leader = cmd_reinit(f.context(), o);
  ASSERT_FALSE(leader.ok());
  EXPECT_EQ(leader.error().code, ErrorCode::kInvalidArgument);

  int looks = 0;
  f.rest.reply(std::string("POST ") + kNode2 + "/reinitialize", 200, "reinitialize started");
  f.rest.on(std::string("GET ") + kNode2 + "/patroni", [&](const RestRequest&) {
    ++looks;
    std::string state = looks < 2 ? "running" : looks < 5 ? "creating replica" : "running";
    return Result<RestResponse>(RestResponse{200, patroni_status("replica", state, 1)});
  });
  o.members = {"node2"};
  o.wait = true;
  Status s = cmd_reinit(f.context(), o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_NE(f.output().find("Success: reinitialize for member node2"), std::string::npos);
  EXPECT_NE(f.output().find("Reinitialize is completed on: node2"), std::string::npos) << f.output();
  EXPECT_EQ(*f.rest.requests_to("POST", "/reinitialize")[0].body, R"({"force":true})");
}

TEST(Commands, FlushSwitchoverDeletesTheScheduledOne) {
  CtlFixture f;
  f.load_scenario("healthy");
  MemberActionOptions o;
  o.cluster = "pglab";
  ASSERT_TRUE(cmd_flush(f.context(), o, "switchover").ok());
  EXPECT_EQ(f.output(), "No pending scheduled switchover\n");
  f.put("failover", R"({"leader":"node1","scheduled_at":"2030-01-01T10:00:00+00:00"})");
  f.rest.reply(std::string("DELETE ") + kNode1 + "/switchover", 200, "scheduled switchover deleted");
  ASSERT_TRUE(cmd_flush(f.context(), o, "switchover").ok());
  EXPECT_NE(f.output().find("Success: scheduled switchover deleted"), std::string::npos);
}

TEST(Commands, RemoveAsksThreeQuestionsThenDeletesEveryKey) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.prompter.answers = {"pglab", "Yes I am aware", "node2"};
  Status wrong_leader = cmd_remove(f.context(), "pglab", Format::kPretty);
  ASSERT_FALSE(wrong_leader.ok());
  EXPECT_TRUE(f.kv.get("/service/pglab/config").has_value());
  f.prompter.answers = {"pglab", "Yes I am aware", "node1"};
  ASSERT_TRUE(cmd_remove(f.context(), "pglab", Format::kPretty).ok());
  EXPECT_FALSE(f.kv.get("/service/pglab/config").has_value());
  EXPECT_FALSE(f.kv.get("/service/pglab/members/node1").has_value());
}

TEST(Commands, DsnQueryAndLag) {
  CtlFixture f;
  f.load_scenario("healthy");
  ASSERT_TRUE(cmd_dsn(f.context(), DsnOptions{std::nullopt, std::nullopt, std::string("node3")}).ok());
  EXPECT_EQ(f.output(), "host=127.0.0.1 port=5434\n");

  f.sql.handler = [](const pg::PgSession::Keywords& k, const std::string& sql)
      -> Result<std::vector<pg::QueryResult>> {
    EXPECT_EQ(k[1].second, "5432");
    if (sql.find("pg_stat_replication") != std::string::npos) {
      pg::QueryResult rep{{"application_name", "client", "state", "sync_state", "sent_lag",
                           "write_lag", "flush_lag", "replay_lag", "total_lag", "replay_delay"},
                          {{"node2", "127.0.0.1", "streaming", "async", "0", "0", "0", "2048",
                            "2048", "0.002"}}};
      pg::QueryResult slots{{"slot_name", "slot_type", "database", "active", "retained"},
                            {{"node2", "physical", "", "t", "16777216"}}};
      return std::vector<pg::QueryResult>{rep, slots};
    }
    return std::vector<pg::QueryResult>{pg::QueryResult{{"one"}, {{"1"}}}};
  };
  f.out.str("");
  QueryOptions q;
  q.command = "SELECT 1 AS one";
  ASSERT_TRUE(cmd_query(f.context(), q).ok());
  EXPECT_EQ(f.output(), "one\n1\n");

  f.out.str("");
  ASSERT_TRUE(cmd_lag(f.context(), LagOptions{}).ok());
  std::string lag = f.output();
  EXPECT_NE(lag.find("| node2  | 127.0.0.1 | streaming"), std::string::npos) << lag;
  EXPECT_NE(lag.find("2.0 kB"), std::string::npos);
  EXPECT_NE(lag.find("not streaming (running)"), std::string::npos) << "node3 is missing";
  EXPECT_NE(lag.find("16 MB"), std::string::npos);
}

TEST(Commands, BackupVerifiesAndPrunesOnlyOldBackups) {
  CtlFixture f;
  f.load_scenario("healthy");
  std::string dir = "/tmp/pghaloctl-backup-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/backup_20000101_000000");
  std::filesystem::create_directories(dir + "/keep-me");
  f.runner.handler = [&](const process::ProcessSpec& spec) -> Result<process::ProcessResult> {
    if (spec.argv.front().ends_with("pg_basebackup")) {
      std::string target = spec.argv[5].substr(std::string("--pgdata=").size());
      std::filesystem::create_directories(target);
      std::ofstream(target + "/base.tar.gz") << "x";
    }
    process::ProcessResult r;
    r.exit_code = 0;
    r.output = "backup successfully verified\n";
    return r;
  };
  BackupOptions o;
  o.directory = dir;
  o.username = "replicator";
  o.retention_days = 30;
  Status s = cmd_backup(f.context(), o);
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(f.runner.runs.size(), 4u);  // pg_basebackup, two tars, pg_verifybackup
  EXPECT_NE(f.output().find("Verified: backup successfully verified"), std::string::npos);
  EXPECT_NE(f.output().find("removed backup_20000101_000000"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/backup_20000101_000000"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/keep-me"));
  std::filesystem::remove_all(dir);
}

TEST(Commands, AFailedBackupLeavesNothingAndSaysWhy) {
  CtlFixture f;
  f.load_scenario("healthy");
  std::string dir = "/tmp/pghaloctl-backup-fail-" + std::to_string(::getpid());
  f.runner.handler = [&](const process::ProcessSpec& spec) -> Result<process::ProcessResult> {
    std::filesystem::create_directories(spec.argv[5].substr(std::string("--pgdata=").size()));
    process::ProcessResult r;
    r.exit_code = 1;
    r.output = "pg_basebackup: error: FATAL:  password authentication failed\n";
    return r;
  };
  BackupOptions o;
  o.directory = dir;
  o.username = "replicator";
  Status s = cmd_backup(f.context(), o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("password authentication failed"), std::string::npos);
  int left = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++left;
  EXPECT_EQ(left, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pghalo::ctl
