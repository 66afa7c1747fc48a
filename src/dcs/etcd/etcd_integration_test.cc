// Integration: EtcdStore, GatewayClient and Watcher against one real etcd 3.4 member on
// 127.0.0.1 (plain HTTP). Skips when /usr/bin/etcd is missing.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "dcs/etcd/etcd_store.h"
#include "dcs/etcd/gateway_client.h"
#include "dcs/etcd/watcher.h"
#include "tests/support/etcd_cluster.h"

namespace pghalo::dcs::etcd {
namespace {

using model::MemberName;
using testsupport::EtcdCluster;

class EtcdIntegration : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    testsupport::EtcdClusterOptions options;
    options.first_port = 17120;
    options.last_port = 17139;
    suite_.start(options);
  }
  static void TearDownTestSuite() { suite_.stop(); }
  void SetUp() override {
    if (!EtcdCluster::etcd_available()) GTEST_SKIP() << "etcd is not installed (/usr/bin/etcd)";
    cluster_ = suite_.cluster();
    ASSERT_NE(cluster_, nullptr) << suite_.error();
  }

  GatewayOptions options() const {
    GatewayOptions o;
    o.endpoints = cluster_->host_ports();
    o.retry_timeout = seconds(3);
    return o;
  }

  static testsupport::SuiteCluster suite_;
  EtcdCluster* cluster_ = nullptr;
  SystemClock clock_;
  SeededRandom random_{42};
};

testsupport::SuiteCluster EtcdIntegration::suite_;

TEST_F(EtcdIntegration, EveryStoreOperationWorksAgainstRealEtcd) {
  GatewayClient client(options(), clock_, random_);
  EtcdStore node1(client, clock_, "/service", "itest-ops", {seconds(30), seconds(3)});
  EtcdStore node2(client, clock_, "/service", "itest-ops", {seconds(30), seconds(3)});
  const MemberName n1("node1"), n2("node2");

  ASSERT_TRUE(node1.keepalive().ok());
  ASSERT_TRUE(node2.keepalive().ok());
  EXPECT_TRUE(*node1.race_initialize());
  EXPECT_FALSE(*node2.race_initialize());
  ASSERT_TRUE(node1.set_initialize("7712584199298505757").ok());
  ASSERT_TRUE(*node1.write_config({{"ttl", 30}, {"loop_wait", 10}}, std::nullopt));
  ASSERT_TRUE(node1
                  .publish_member(
                      n1, {{"conn_url", "postgres://127.0.0.1:5432/postgres"}, {"role", "master"}})
                  .ok());
  ASSERT_TRUE(node2
                  .publish_member(
                      n2, {{"conn_url", "postgres://127.0.0.1:5433/postgres"}, {"role", "replica"}})
                  .ok());

  auto won = node1.acquire_leader(n1);
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_TRUE(*won);
  EXPECT_FALSE(*node2.acquire_leader(n2));
  EXPECT_TRUE(*node1.refresh_leader(n1));

  // A ttl change takes a new lease; the refresh txn moves the lock onto it.
  node1.set_timing({seconds(20), seconds(3)});
  auto renewed = node1.keepalive();
  ASSERT_TRUE(renewed.ok());
  EXPECT_TRUE(renewed->newly_granted);
  EXPECT_TRUE(*node1.refresh_leader(n1));
  auto state = node2.read_cluster();
  ASSERT_TRUE(state.ok()) << state.error().message;
  ASSERT_TRUE(state->leader);
  EXPECT_EQ(state->leader->lease, renewed->lease);
  EXPECT_EQ(state->initialize, "7712584199298505757");
  EXPECT_EQ(state->members.size(), 2u);

  EXPECT_FALSE(*node2.write_config({{"ttl", 40}}, Revision(state->config_revision.value - 1)));
  EXPECT_TRUE(*node2.write_config({{"ttl", 40}}, state->config_revision));
  EXPECT_TRUE(*node1.write_failover({{"leader", "node1"}, {"member", "node2"}}, std::nullopt));
  EXPECT_TRUE(*node1.write_sync({{"leader", "node1"}, {"sync_standby", "node2"}}, std::nullopt));
  ASSERT_TRUE(
      node1.write_history(nlohmann::json::parse(R"([[1,25165984,"no recovery target specified"]])"))
          .ok());
  ASSERT_TRUE(node1.write_status({{"optime", 67357592}}).ok());
  ASSERT_TRUE(node1.write_failsafe({{"node1", "http://127.0.0.1:8008/patroni"}}).ok());
  state = node2.read_cluster();
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->problems.empty());
  EXPECT_EQ((*state->config)["ttl"], 40);
  EXPECT_EQ(state->failover->candidate, MemberName("node2"));
  EXPECT_TRUE(state->sync->lists(n2));
  EXPECT_EQ(state->history_timeline(), 2);
  EXPECT_EQ(state->status.optime, model::Lsn(67357592));
  EXPECT_EQ(state->failsafe->size(), 1u);
  EXPECT_TRUE(*node1.delete_sync(state->sync->mod_revision));

  EXPECT_FALSE(*node2.release_leader(n2));
  EXPECT_TRUE(*node1.release_leader(n1));
  EXPECT_TRUE(*node2.acquire_leader(n2));
  ASSERT_TRUE(node1.remove_cluster().ok());
  state = node2.read_cluster();
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->leader);
  EXPECT_TRUE(state->members.empty());
}

TEST_F(EtcdIntegration, ACorruptValueFromAnotherWriterIsListedNotFatal) {
  GatewayClient client(options(), clock_, random_);
  ASSERT_TRUE(
      client.put({"/service/itest-corrupt/members/node2", "{\"conn", LeaseId(0)}, seconds(3)).ok());
  EtcdStore store(client, clock_, "/service", "itest-corrupt");
  auto state = store.read_cluster();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->problems.size(), 1u);
  EXPECT_EQ(state->problems[0], "members/node2: invalid JSON at byte 7");
  ASSERT_TRUE(store.remove_cluster().ok());
}

TEST_F(EtcdIntegration, TheLeaseExpiringDeletesTheLeaderKeyAfterTtl) {
  GatewayClient client(options(), clock_, random_);
  EtcdStore store(client, clock_, "/service", "itest-expiry", {seconds(2), seconds(3)});
  ASSERT_TRUE(*store.acquire_leader(MemberName("node1")));
  auto acquired_at = std::chrono::steady_clock::now();
  // No more keepalives: etcd must drop the key about ttl later (bounded wait).
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() - acquired_at < seconds(8)) {
    auto state = store.read_cluster();
    ASSERT_TRUE(state.ok());
    gone = !state->leader;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(gone);
  EXPECT_GE(std::chrono::steady_clock::now() - acquired_at, std::chrono::milliseconds(1500));
}

// Collects watcher callbacks for a test thread to wait on (bounded).
class ChangeLog {
 public:
  void add(unsigned changes) {
    std::lock_guard lock(mu_);
    seen_ |= changes;
    cv_.notify_all();
  }
  bool wait_for(unsigned bits, Duration bound) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return (seen_ & bits) == bits; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned seen_ = 0;
};

TEST_F(EtcdIntegration, TheWatcherWakesOnEachKindOfChange) {
  GatewayClient watch_client(options(), clock_, random_);
  SeededRandom writer_random(5);
  GatewayClient writer_client(options(), clock_, writer_random);
  EtcdStore store(writer_client, clock_, "/service", "itest-watch", {seconds(30), seconds(3)});
  ChangeLog log;
  SeededRandom jitter(9);
  Watcher watcher(watch_client, KeyLayout("/service", "itest-watch"), jitter,
                  [&](unsigned c) { log.add(c); });
  watcher.start();
  // Give the watcher a moment to establish its revision, then write (events after it are seen).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(*store.acquire_leader(MemberName("node1")));
  ASSERT_TRUE(*store.write_config({{"ttl", 30}}, std::nullopt));
  ASSERT_TRUE(store.publish_member(MemberName("node1"), {{"role", "master"}}).ok());
  EXPECT_TRUE(log.wait_for(kLeaderChanged | kConfigChanged | kMembersChanged, seconds(5)));
  ASSERT_TRUE(*store.release_leader(MemberName("node1")));
  EXPECT_TRUE(log.wait_for(kLeaderDeleted, seconds(5)));
  watcher.stop();
  ASSERT_TRUE(store.remove_cluster().ok());
}

int etcdctl(const EtcdCluster& cluster, const std::string& args) {
  std::string command =
      "ETCDCTL_API=3 /usr/bin/etcdctl --dial-timeout=2s --command-timeout=3s --endpoints=" +
      cluster.client_url(0) + " " + args + " >/dev/null 2>&1";
  return std::system(command.c_str());  // NOLINT: fixed arguments in a test
}

TEST(EtcdAuthIntegration, AuthenticatesWithATokenAndAgainWhenEtcdInvalidatesIt) {
  if (!EtcdCluster::etcd_available()) GTEST_SKIP() << "etcd is not installed (/usr/bin/etcd)";
  testsupport::EtcdClusterOptions options;
  options.first_port = 17190;
  options.last_port = 17199;
  auto cluster = EtcdCluster::start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  ASSERT_EQ(etcdctl(**cluster, "user add root:secret --interactive=false"), 0);
  ASSERT_EQ(etcdctl(**cluster, "auth enable"), 0);

  SystemClock clock;
  SeededRandom random(1);
  GatewayOptions o;
  o.endpoints = (*cluster)->host_ports();
  o.retry_timeout = seconds(3);
  GatewayClient anonymous(o, clock, random);
  auto refused = anonymous.put({"/auth/x", "1", LeaseId(0)}, seconds(3));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("user name is empty"), std::string::npos)
      << refused.error().message;

  o.username = "root";
  o.password = "secret";
  GatewayClient client(o, clock, random);
  ASSERT_TRUE(client.put({"/auth/x", "1", LeaseId(0)}, seconds(3)).ok());
  // Changing the auth store makes the token's revision old: the client authenticates again.
  ASSERT_EQ(etcdctl(**cluster, "--user root:secret user add other:pw --interactive=false"), 0);
  auto after_change = client.put({"/auth/x", "2", LeaseId(0)}, seconds(3));
  EXPECT_TRUE(after_change.ok()) << after_change.error().message;
  // A restarted etcd forgets its simple tokens: "invalid auth token", then a new token.
  ASSERT_TRUE((*cluster)->restart_member(0).ok());
  auto after_restart = client.range("/auth/x", "", false, seconds(3));
  ASSERT_TRUE(after_restart.ok()) << after_restart.error().message;
  EXPECT_EQ(after_restart->kvs.at(0).value, "2");

  o.password = "wrong";
  GatewayClient wrong(o, clock, random);
  auto denied = wrong.range("/auth/x", "", false, seconds(3));
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("authentication failed"), std::string::npos)
      << denied.error().message;
}

}  // namespace
}  // namespace pghalo::dcs::etcd
