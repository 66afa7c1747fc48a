#include "ctl/cluster_view.h"

#include <gtest/gtest.h>

#include "ctl/context.h"
#include "ctl/testing/ctl_fixture.h"

namespace pghalo::ctl {
namespace {

using testing::CtlFixture;

model::ClusterState read(CtlFixture& f) {
  auto cluster = open_store(f.context(), "pglab")->read_cluster();
  EXPECT_TRUE(cluster.ok());
  return *cluster;
}

TEST(ClusterView, RolesHostsAndLagFollowPatronisClusterAsJson) {
  CtlFixture f;
  f.load_scenario("after-failover");
  f.put("sync", R"({"leader":"node3","sync_standby":"node1"})");
  ClusterView view = view_cluster(read(f));
  ASSERT_EQ(view.members.size(), 2u);
  EXPECT_EQ(view.members[0].name, "node1");
  EXPECT_EQ(view.members[0].role, "sync_standby");
  EXPECT_EQ(view.members[0].host, "127.0.0.1");
  EXPECT_EQ(view.members[0].port, 5432);
  EXPECT_EQ(view.members[1].role, "leader");
  EXPECT_FALSE(view.members[1].lag.has_value());
  EXPECT_EQ(view.initialize, "7712584199298505757");
  EXPECT_FALSE(view.paused);
}

TEST(ClusterView, StandbyClusterLeaderAndInitializingStates) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.put("config", R"({"standby_cluster":{"host":"10.0.0.1","port":5432},"pause":"yes"})");
  f.put("initialize", "");
  ClusterView view = view_cluster(read(f));
  EXPECT_EQ(view.members[0].role, "standby_leader");
  EXPECT_TRUE(view.paused);
  EXPECT_EQ(view.initialize, "initializing");
}

TEST(ClusterView, ConnUrlHostsAndPorts) {
  EXPECT_EQ(conn_url_host("postgres://10.0.0.1:5433/postgres")->port, 5433);
  EXPECT_EQ(conn_url_host("postgres://Host.Example/postgres")->host, "host.example");
  EXPECT_EQ(conn_url_host("postgres://Host.Example/postgres")->port, 5432);
  EXPECT_EQ(conn_url_host("postgres://[::1]:6000/db")->host, "::1");
  EXPECT_EQ(conn_url_host("postgres://u:p@h:1/db")->host, "h");
  EXPECT_FALSE(conn_url_host("not a url").has_value());
  EXPECT_FALSE(conn_url_host("postgres://:5432/x").has_value());
}

TEST(ClusterView, LoopWaitDefaultsToTen) {
  model::ClusterState cluster;
  EXPECT_EQ(loop_wait_of(cluster), 10);
  cluster.config = nlohmann::json::parse(R"({"loop_wait":2})");
  EXPECT_EQ(loop_wait_of(cluster), 2);
}

TEST(ClusterView, HumanUnitsAndDurations) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1536), "1.5 kB");
  EXPECT_EQ(human_bytes(16ull << 20), "16 MB");
  EXPECT_EQ(human_bytes(3ull << 30), "3.0 GB");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(3200)), "3.2 s");
  EXPECT_EQ(format_duration(std::chrono::seconds(45)), "45 s");
  EXPECT_EQ(format_duration(std::chrono::seconds(125)), "2 min 05 s");
}

}  // namespace
}  // namespace pghalo::ctl
