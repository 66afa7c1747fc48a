// The REST API's operations as the agent runs them (switchover, restart, reinitialize, pause,
// config patches), over MiniCluster: real agents, fake etcd and PostgreSQL, a manual clock.
#include <gtest/gtest.h>

#include "mini_cluster.h"

namespace pghalo::agent {
namespace {

using fakes::MiniCluster;
using namespace std::chrono_literals;

class AgentCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(c.run_until([&] { return healthy(); }, 120s));
    leader = *c.leader();
    replica = leader == "node2" ? "node3" : "node2";
  }

  bool healthy() {
    return c.leader() && c.running_primaries().size() == 1 && c.streaming_replicas().size() == 2;
  }

  // Posts to `node`'s agent and steps the cluster until the reply arrives (bounded).
  model::CommandReply send(const std::string& node, model::CommandBody body, Duration limit = 60s) {
    model::Command command;
    command.body = std::move(body);
    auto future = command.reply->get_future();
    EXPECT_TRUE(c.node(node).agent->post(std::move(command)));
    c.run_until([&] { return future.wait_for(0s) == std::future_status::ready; }, limit);
    if (future.wait_for(0s) != std::future_status::ready) return {0, "no reply", false};
    return future.get();
  }

  MiniCluster c;
  std::string leader, replica;
};

TEST_F(AgentCommandsTest, SwitchoverToANamedCandidateMovesTheLeader) {
  model::SwitchoverCommand s;
  s.leader = model::MemberName(leader);
  s.candidate = model::MemberName(replica);
  auto reply = send(leader, s);
  EXPECT_EQ(reply.status, 200) << reply.body;
  ASSERT_TRUE(c.run_until([&] { return c.leader() == replica && healthy(); }, 60s));
  EXPECT_EQ(c.kv.get("/db/postgres/failover")->value, "{}");
}

TEST_F(AgentCommandsTest, SwitchoverNamingTheWrongLeaderIsRefused) {
  model::SwitchoverCommand s;
  s.leader = model::MemberName(replica);
  auto reply = send(leader, s);
  EXPECT_EQ(reply.status, 412);
  EXPECT_EQ(reply.body, "leader name does not match");
}

TEST_F(AgentCommandsTest, SwitchoverToAnUnknownMemberIsRefused) {
  model::SwitchoverCommand s;
  s.leader = model::MemberName(leader);
  s.candidate = model::MemberName("nobody");
  EXPECT_EQ(send(leader, s).body, "candidate does not exists");
}

TEST_F(AgentCommandsTest, ScheduledSwitchoverWaitsForItsTime) {
  model::SwitchoverCommand s;
  s.leader = model::MemberName(leader);
  s.candidate = model::MemberName(replica);
  s.scheduled_at = c.clock.wall_now() + 60s;
  EXPECT_EQ(send(leader, s).status, 202);
  c.run_until([] { return false; }, 40s);
  EXPECT_EQ(c.leader(), leader);
  ASSERT_TRUE(c.run_until([&] { return c.leader() == replica; }, 60s));
}

TEST_F(AgentCommandsTest, RestartRestartsPostgresAndAnswersWhenDone) {
  int starts = c.server(replica).starts;
  auto reply = send(replica, model::RestartCommand{});
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, "restarted successfully");
  EXPECT_EQ(c.server(replica).starts, starts + 1);
  EXPECT_TRUE(c.run_until([&] { return healthy(); }, 30s));
}

TEST_F(AgentCommandsTest, RestartWithAnUnmetRoleFilterIsRefused) {
  model::RestartCommand r;
  r.role = "primary";
  auto reply = send(replica, r);
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "restart conditions are not satisfied");
}

TEST_F(AgentCommandsTest, ScheduledRestartIsPublishedThenRun) {
  int starts = c.server(leader).starts;
  model::RestartCommand r;
  r.schedule = c.clock.wall_now() + 30s;
  EXPECT_EQ(send(leader, r).status, 202);
  c.run_until([&] {
    auto kv = c.kv.get("/db/postgres/members/" + leader);
    return kv && kv->value.find("scheduled_restart") != std::string::npos;
  }, 15s);
  EXPECT_NE(c.kv.get("/db/postgres/members/" + leader)->value.find("\"scheduled_restart\""), std::string::npos);
  EXPECT_EQ(send(leader, r).status, 409) << "only one scheduled restart at a time";
  ASSERT_TRUE(c.run_until([&] { return c.server(leader).starts == starts + 1; }, 60s));
  EXPECT_EQ(c.leader(), leader) << "a restart keeps the lock";
}

TEST_F(AgentCommandsTest, CancellingAScheduledRestart) {
  EXPECT_EQ(send(replica, model::CancelScheduledRestartCommand{}).status, 404);
  model::RestartCommand r;
  r.schedule = c.clock.wall_now() + 300s;
  EXPECT_EQ(send(replica, r).status, 202);
  auto reply = send(replica, model::CancelScheduledRestartCommand{});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "scheduled restart deleted");
}

TEST_F(AgentCommandsTest, ReinitializeClonesAReplicaAgain) {
  int clones = c.server(replica).clones;
  auto reply = send(replica, model::ReinitializeCommand{});
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, "reinitialize started");
  EXPECT_EQ(c.server(replica).clones, clones + 1);
  EXPECT_TRUE(c.run_until([&] { return healthy(); }, 60s));
}

TEST_F(AgentCommandsTest, TheLeaderRefusesToReinitialize) {
  auto reply = send(leader, model::ReinitializeCommand{});
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body, "I am the leader, can not reinitialize");
}

TEST_F(AgentCommandsTest, PausingThroughAConfigPatchStopsAutomaticFailover) {
  model::PatchConfigCommand p;
  p.patch = nlohmann::json{{"pause", true}};
  auto reply = send(leader, p);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_TRUE(c.run_until([&] {
    auto kv = c.kv.get("/db/postgres/members/" + replica);
    return kv && kv->value.find("\"pause\":true") != std::string::npos;
  }, 30s));
  c.kill_node(leader);
  c.run_until([] { return false; }, 60s);
  EXPECT_TRUE(c.running_primaries().empty()) << "paused: no automatic failover";
  model::PatchConfigCommand resume;
  resume.patch = nlohmann::json{{"pause", nullptr}};
  EXPECT_EQ(send(replica, resume).status, 200);
  EXPECT_TRUE(c.run_until([&] { return c.running_primaries().size() == 1; }, 90s));
}

TEST_F(AgentCommandsTest, AConfigPatchDeletesKeysWithNull) {
  model::PatchConfigCommand p;
  p.patch = nlohmann::json{{"maximum_lag_on_failover", nullptr}, {"postgresql", {{"parameters", {{"work_mem", "8MB"}}}}}};
  auto reply = send(leader, p);
  ASSERT_EQ(reply.status, 200);
  auto stored = nlohmann::json::parse(c.kv.get("/db/postgres/config")->value);
  EXPECT_FALSE(stored.contains("maximum_lag_on_failover"));
  EXPECT_EQ(stored["postgresql"]["parameters"]["work_mem"], "8MB");
  EXPECT_EQ(stored["postgresql"]["use_pg_rewind"], true) << "untouched keys stay";
}

}  // namespace
}  // namespace pghalo::agent

namespace pghalo::agent {
namespace {

TEST_F(AgentCommandsTest, FailsafeModeKeepsThePrimaryWhileEveryMemberAnswers) {
  model::PatchConfigCommand p;
  p.patch = nlohmann::json{{"failsafe_mode", true}};
  ASSERT_EQ(send(leader, p).status, 200);
  ASSERT_TRUE(c.run_until([&] { return c.kv.get("/db/postgres/failsafe").has_value(); }, 30s));
  c.kv.set_available(false);
  c.run_until([] { return false; }, 90s);
  EXPECT_EQ(c.running_primaries(), std::vector<std::string>{leader}) << "failsafe kept the primary";
  // One member stops answering: the primary can no longer prove nobody else leads.
  c.peers.set_reachable("http://127.0.0.1:800" + replica.substr(4) + "/patroni", false);
  EXPECT_TRUE(c.run_until([&] { return c.running_primaries().empty(); }, 60s));
  c.peers.set_reachable("http://127.0.0.1:800" + replica.substr(4) + "/patroni", true);
  c.kv.set_available(true);
  EXPECT_TRUE(c.run_until([&] { return healthy(); }, 120s));
}

}  // namespace
}  // namespace pghalo::agent

namespace pghalo::agent {
namespace {

TEST_F(AgentCommandsTest, SynchronousModeListsAStandbyAndOnlyItMayTakeOver) {
  model::PatchConfigCommand p;
  p.patch = nlohmann::json{{"synchronous_mode", true}};
  ASSERT_EQ(send(leader, p).status, 200);
  std::string sync_standby;
  ASSERT_TRUE(c.run_until([&] {
    auto kv = c.kv.get("/db/postgres/sync");
    if (!kv) return false;
    auto value = nlohmann::json::parse(kv->value);
    if (!value["sync_standby"].is_string()) return false;
    sync_standby = value["sync_standby"].get<std::string>();
    return value["leader"] == leader && !sync_standby.empty();
  }, 60s));
  std::string async_standby = sync_standby == "node1" ? "node2" : (sync_standby == "node2" ? "node3" : "node1");
  if (async_standby == leader) async_standby = sync_standby == "node1" ? "node3" : (sync_standby == "node2" ? "node1" : "node2");
  ASSERT_NE(async_standby, leader);
  ASSERT_NE(async_standby, sync_standby);

  model::SwitchoverCommand s;
  s.leader = model::MemberName(leader);
  s.candidate = model::MemberName(async_standby);
  auto refused = send(leader, s);
  EXPECT_EQ(refused.status, 412);
  EXPECT_EQ(refused.body, "candidate name does not match with sync_standby");

  c.kill_node(leader);
  ASSERT_TRUE(c.run_until([&] { return c.leader() && *c.leader() != leader; }, 120s));
  EXPECT_EQ(*c.leader(), sync_standby) << "only the synchronous standby may take the lock";
}

}  // namespace
}  // namespace pghalo::agent

namespace pghalo::agent {
namespace {

// A /config change reaches the running servers through a rewrite and a reload, as with Patroni
// (compat test: patronictl edit-config's work_mem never showed in SHOW before), and replicas keep
// streaming from their primary meanwhile.
TEST_F(AgentCommandsTest, AConfigChangeIsWrittenAndReloadedIntoEveryRunningServer) {
  model::PatchConfigCommand p;
  p.patch = nlohmann::json{{"postgresql", {{"parameters", {{"work_mem", "7MB"}}}}}};
  ASSERT_EQ(send(leader, p).status, 200);
  EXPECT_TRUE(c.run_until([&] {
    for (const auto* node : {"node1", "node2", "node3"}) {
      auto it = c.server(node).parameters.find("work_mem");
      if (it == c.server(node).parameters.end() || it->second != "7MB") return false;
    }
    return true;
  }, 60s));
  EXPECT_TRUE(healthy()) << "replicas still stream from the primary after the rewrite";
}

}  // namespace
}  // namespace pghalo::agent

namespace pghalo::agent {
namespace {

// The replicas that the released key wakes ask the stopping leader's REST API first; its status
// must already say stopped, or they defer to a "running primary" that is gone.
TEST_F(AgentCommandsTest, AShutdownLeaderStatusSaysStoppedBeforeTheKeyIsReleased) {
  auto& agent = *c.node(leader).agent;
  ASSERT_EQ(agent.snapshot()->state, model::PgState::kRunning);
  agent.shutdown();
  EXPECT_FALSE(c.kv.get("/db/postgres/leader").has_value());
  EXPECT_EQ(agent.snapshot()->state, model::PgState::kStopped);
  EXPECT_FALSE(agent.snapshot()->pg.accepting_connections);
}

}  // namespace
}  // namespace pghalo::agent

namespace pghalo::agent {
namespace {

// patronictl remove wipes the cluster's keys while the agents run; the leader writes back the
// /config it last applied, as Patroni does, so pause, timing and parameters survive.
TEST_F(AgentCommandsTest, TheLeaderWritesBackAMissingConfig) {
  model::PatchConfigCommand p;
  p.patch = nlohmann::json{{"postgresql", {{"parameters", {{"work_mem", "9MB"}}}}}};
  ASSERT_EQ(send(leader, p).status, 200);
  auto before = nlohmann::json::parse(c.kv.get("/db/postgres/config")->value);
  ASSERT_TRUE(c.run_until([&] { return c.server(leader).parameters.count("work_mem") > 0; }, 60s));
  c.kv.delete_direct("/db/postgres/config");
  ASSERT_TRUE(c.run_until([&] { return c.kv.get("/db/postgres/config").has_value(); }, 60s));
  EXPECT_EQ(nlohmann::json::parse(c.kv.get("/db/postgres/config")->value), before);
}

}  // namespace
}  // namespace pghalo::agent
