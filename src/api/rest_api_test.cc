// RestApi end to end without sockets: routing, access control, the commands posted to the agent,
// the replies relayed, and the switchover/failover polling of spec 3.5 rule 6 on a manual clock.
#include "api/rest_api.h"

#include <gtest/gtest.h>

#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

using model::MemberName;

class FakeSource final : public SnapshotSource {
 public:
  std::shared_ptr<const model::StatusSnapshot> current() const override { return snapshot; }
  std::shared_ptr<const model::StatusSnapshot> snapshot;
};

// Advances the manual clock instead of sleeping; `on_sleep` plays the agent between polls.
class FakeWaiter final : public Waiter {
 public:
  explicit FakeWaiter(ManualClock& clock) : clock_(clock) {}
  bool sleep(Duration d) override {
    clock_.advance(d);
    ++sleeps;
    if (on_sleep) on_sleep(sleeps);
    return !cancelled;
  }
  std::optional<model::CommandReply> await(std::future<model::CommandReply>& reply,
                                           Duration) override {
    if (reply.wait_for(Duration::zero()) != std::future_status::ready) return std::nullopt;
    return reply.get();
  }
  void cancel() override { cancelled = true; }

  std::function<void(int)> on_sleep;
  int sleeps = 0;
  bool cancelled = false;

 private:
  ManualClock& clock_;
};

class RestApiTest : public ::testing::Test {
 protected:
  RestApiTest() { publish(testing::leader_snapshot(clock_.now())); }

  void publish(model::StatusSnapshot s) {
    source_.snapshot = std::make_shared<const model::StatusSnapshot>(std::move(s));
  }
  RestApi& api() {
    if (!api_) {
      api_ = std::make_unique<RestApi>(options_, source_,
                                       [this](model::Command c) { return post(std::move(c)); },
                                       clock_, waiter_);
    }
    return *api_;
  }
  bool post(model::Command command) {
    if (queue_full_) return false;
    if (reply_) command.reply->set_value(*reply_);
    received_.push_back(std::move(command));
    return true;
  }
  Response call(const std::string& method, const std::string& path,
                std::optional<std::string> body = std::nullopt) {
    Request r;
    r.method = method;
    r.path = path;
    r.client_ip = "127.0.0.1";
    if (body) {
      r.body = *body;
      r.content_length = body->size();
    }
    return api().handle(r);
  }
  template <typename T>
  const T* last_command() const {
    return received_.empty() ? nullptr : std::get_if<T>(&received_.back().body);
  }
  void reply(int status, std::string body, bool json = false) {
    reply_ = model::CommandReply{status, std::move(body), json};
  }

  ManualClock clock_;
  FakeSource source_;
  FakeWaiter waiter_{clock_};
  RestApiOptions options_;
  std::unique_ptr<RestApi> api_;
  std::vector<model::Command> received_;
  std::optional<model::CommandReply> reply_;
  bool queue_full_ = false;
};

TEST_F(RestApiTest, AnswersHealthChecksFastFromTheRenderedSnapshot) {
  Request head;
  head.method = "HEAD";
  EXPECT_TRUE(api().is_fast(head));
  Response a = call("GET", "/primary");
  Response b = call("GET", "/primary");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.shared_body, b.shared_body);  // rendered once per snapshot
  publish(testing::replica_snapshot(clock_.now()));
  EXPECT_EQ(call("GET", "/primary").status, 503);
}

TEST_F(RestApiTest, AnswersServiceUnavailableBeforeTheFirstSnapshot) {
  source_.snapshot = nullptr;
  Response r = call("GET", "/health");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("has not published"), std::string::npos);
}

TEST_F(RestApiTest, PostPatroniExplainsWhichEndpointReinitializes) {
  Response r = call("POST", "/patroni", R"({"action": "reinitialize"})");
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.body.find("POST /patroni is not a Patroni endpoint"), std::string::npos);
  EXPECT_NE(r.body.find("POST /reinitialize (patronictl reinit / pghaloctl reinit)"),
            std::string::npos);
  EXPECT_TRUE(received_.empty());
}

TEST_F(RestApiTest, UnknownMethodsAndPathsGetNotImplemented) {
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/foo"}, {"PUT", "/patroni"}, {"DELETE", "/config"}, {"BREW", "/"}}) {
    Response r = call(method, path, "{}");
    EXPECT_EQ(r.status, 501) << method << " " << path;
    EXPECT_NE(r.body.find("Unsupported method ('" + method + "')"), std::string::npos) << r.body;
  }
}

TEST_F(RestApiTest, UnsafeMethodsNeedCredentialsWhenConfigured) {
  options_.access.username = "u";
  options_.access.password = "p";
  Response r = call("POST", "/reload");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "no auth header received");
  EXPECT_TRUE(received_.empty());
  EXPECT_EQ(call("GET", "/patroni").status, 200);  // reads are never authenticated
}

TEST_F(RestApiTest, ReloadIsRelayedAndRunsTheReloadHook) {
  bool hooked = false;
  api().set_reload_hook([&] { hooked = true; });
  reply(202, "reload scheduled");
  Response r = call("POST", "/reload");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "reload scheduled");
  EXPECT_EQ(r.content_type, "text/html");
  EXPECT_TRUE(last_command<model::ReloadCommand>());
  EXPECT_TRUE(hooked);
}

TEST_F(RestApiTest, RestartValidatesFiltersBeforeAskingTheAgent) {
  Response bad = call("POST", "/restart", R"({"role": "boss"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(received_.empty());
  reply(200, "restarted successfully");
  Response ok = call("POST", "/restart", R"({"role": "master", "restart_pending": true})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "restarted successfully");
  auto* command = last_command<model::RestartCommand>();
  ASSERT_TRUE(command);
  EXPECT_EQ(command->role, "master");
  EXPECT_EQ(command->restart_pending, true);
  EXPECT_EQ(call("POST", "/restart").status, 200);  // the body is optional
}

TEST_F(RestApiTest, DeleteRestartAndDeleteSwitchoverRelayTheAgentsAnswer) {
  reply(404, "no restarts are scheduled");
  EXPECT_EQ(call("DELETE", "/restart").body, "no restarts are scheduled");
  EXPECT_TRUE(last_command<model::CancelScheduledRestartCommand>());
  reply(200, "scheduled switchover deleted");
  EXPECT_EQ(call("DELETE", "/switchover").status, 200);
  EXPECT_TRUE(last_command<model::CancelSwitchoverCommand>());
}

TEST_F(RestApiTest, ReinitializeCarriesForce) {
  reply(200, "reinitialize started");
  EXPECT_EQ(call("POST", "/reinitialize", R"({"force": true})").body, "reinitialize started");
  auto* command = last_command<model::ReinitializeCommand>();
  ASSERT_TRUE(command);
  EXPECT_TRUE(command->force);
}

TEST_F(RestApiTest, ConfigNeedsANonEmptyObjectAndRendersTheReplyLikePython) {
  EXPECT_EQ(call("PATCH", "/config").status, 411);
  EXPECT_EQ(call("PUT", "/config", "{}").status, 400);
  EXPECT_EQ(call("PATCH", "/config", "[]").status, 400);
  EXPECT_TRUE(received_.empty());
  reply(200, R"({"ttl":30,"pause":true})", true);
  Response r = call("PATCH", "/config", R"({"pause": true})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"ttl": 30, "pause": true})");
  auto* command = last_command<model::PatchConfigCommand>();
  ASSERT_TRUE(command);
  EXPECT_EQ(command->patch["pause"], true);
}

TEST_F(RestApiTest, FailsafeIsAcceptedByAReplicaWithoutWaitingForTheLoop) {
  auto s = testing::replica_snapshot(clock_.now());
  s.failsafe_mode = true;
  publish(s);
  Response r = call("POST", "/failsafe", R"({"name": "node1", "api_url": "http://x/patroni"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Accepted");
  auto* command = last_command<model::FailsafeHeartbeatCommand>();
  ASSERT_TRUE(command);
  EXPECT_EQ(command->body["name"], "node1");
  queue_full_ = true;
  EXPECT_EQ(call("POST", "/failsafe", R"({"name": "node1"})").status, 503);
}

TEST_F(RestApiTest, FailsafeIsRefusedWhenOffOrWhenRunningAsLeader) {
  EXPECT_EQ(call("POST", "/failsafe", R"({"name": "node9"})").status, 502);
  auto s = testing::leader_snapshot(clock_.now());
  s.failsafe_mode = true;
  publish(s);
  Response r = call("POST", "/failsafe", R"({"name": "node9"})");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "Running as a leader");
  EXPECT_TRUE(received_.empty());
}

TEST_F(RestApiTest, SigtermAndCitusAnswerLikePatroniOnLinux) {
  EXPECT_EQ(call("POST", "/sigterm").body, "shutdown scheduled");
  EXPECT_EQ(call("POST", "/citus", R"({"type": "before_demote"})").body, "OK");
  EXPECT_TRUE(received_.empty());
}

TEST_F(RestApiTest, FullQueueAndSilentAgentGiveServiceUnavailable) {
  queue_full_ = true;
  Response full = call("POST", "/reload");
  EXPECT_EQ(full.status, 503);
  EXPECT_NE(full.body.find("queue is full"), std::string::npos);
  queue_full_ = false;
  Response silent = call("POST", "/reload");  // no reply_ set: the agent never answers
  EXPECT_EQ(silent.status, 503);
  EXPECT_NE(silent.body.find("no answer from the agent"), std::string::npos);
}

// The agent's view after it acted on the request: `leader` holds the lock, the /failover key is
// `request` (nullopt: cleared) and was last written at `failover_revision`.
model::StatusSnapshot after(MonoTime now, const char* leader, bool request_present,
                            std::int64_t failover_revision) {
  auto s = testing::leader_snapshot(now);
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  cluster->leader->name = MemberName(leader);
  cluster->failover_revision = model::Revision(failover_revision);
  if (request_present) {
    model::FailoverRequest request;
    request.leader = MemberName("node1");
    request.candidate = MemberName("node2");
    cluster->failover = request;
  } else {
    cluster->failover = model::FailoverRequest{};
  }
  s.cluster = cluster;
  return s;
}

TEST_F(RestApiTest, SwitchoverReportsTheNewLeaderOnceTheViewShowsIt) {
  reply(200, "");
  waiter_.on_sleep = [this](int n) {
    if (n == 3) publish(after(clock_.now(), "node1", true, 50));
    if (n == 7) publish(after(clock_.now(), "node2", false, 51));
  };
  Response r = call("POST", "/switchover", R"({"leader": "node1", "candidate": "node2"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Successfully switched over to \"node2\"");
  EXPECT_EQ(waiter_.sleeps, 7);
  auto* command = last_command<model::SwitchoverCommand>();
  ASSERT_TRUE(command);
  EXPECT_FALSE(command->is_failover);
  EXPECT_EQ(command->candidate, MemberName("node2"));
}

TEST_F(RestApiTest, FailoverToAnotherMemberThanAskedSaysSo) {
  reply(200, "");
  waiter_.on_sleep = [this](int) { publish(after(clock_.now(), "node3", false, 51)); };
  Response r = call("POST", "/failover", R"({"candidate": "node2"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Failed over to \"node3\" instead of \"node2\"");
}

TEST_F(RestApiTest, SwitchoverFailsWhenTheRequestVanishesUnderTheSameLeader) {
  reply(200, "");
  waiter_.on_sleep = [this](int n) {
    // The first poll still shows the view from before the write: not a verdict yet.
    if (n == 2) publish(after(clock_.now(), "node1", false, 60));
  };
  Response r = call("POST", "/switchover", R"({"leader": "node1", "candidate": "node2"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "Switchover failed");
  EXPECT_EQ(waiter_.sleeps, 2);
}

TEST_F(RestApiTest, SwitchoverStatusIsUnknownAfterTwiceTheLoopWait) {
  reply(200, "");
  auto s = testing::leader_snapshot(clock_.now());
  s.loop_wait = std::chrono::seconds(15);
  publish(s);
  MonoTime start = clock_.now();
  Response r = call("POST", "/switchover", R"({"leader": "node1", "candidate": "node2"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "Switchover status unknown");
  EXPECT_EQ(clock_.now() - start, std::chrono::seconds(30));
  EXPECT_EQ(waiter_.sleeps, 300);  // one poll every 100 ms
}

TEST_F(RestApiTest, StoppingTheServerEndsTheWaitAtOnce) {
  reply(200, "");
  waiter_.on_sleep = [this](int n) {
    if (n == 2) api().cancel();
  };
  Response r = call("POST", "/failover", R"({"candidate": "node2"})");
  EXPECT_EQ(r.body, "Failover status unknown");
  EXPECT_EQ(waiter_.sleeps, 2);
}

TEST_F(RestApiTest, ScheduledAndRefusedSwitchoversAreRelayedWithoutPolling) {
  reply(202, "");
  Response scheduled = call("POST", "/switchover",
                            R"({"leader": "node1", "scheduled_at": "2999-01-01T00:00+00:00"})");
  EXPECT_EQ(scheduled.status, 202);
  EXPECT_EQ(scheduled.body, "Switchover scheduled");
  reply(412, "switchover is not possible: no good candidates have been found");
  Response refused = call("POST", "/switchover", R"({"leader": "node1"})");
  EXPECT_EQ(refused.status, 412);
  EXPECT_EQ(waiter_.sleeps, 0);
  Response invalid = call("POST", "/switchover", R"({"leader": "node9"})");
  EXPECT_EQ(invalid.status, 412);
  EXPECT_EQ(invalid.body, "leader name does not match");
  EXPECT_EQ(received_.size(), 2u);
}

}  // namespace
}  // namespace pghalo::api
