#include "ctl/list_view.h"

#include <gtest/gtest.h>

#include "ctl/commands.h"
#include "ctl/testing/ctl_fixture.h"

namespace pghalo::ctl {
namespace {

using testing::CtlFixture;
using testing::golden;
using testing::patronictl_output;

std::string list(CtlFixture& f, const std::vector<std::string>& args) {
  f.out.str("");
  EXPECT_EQ(f.run(args), 0) << f.errors();
  return f.output();
}

TEST(ListView, PrettyListMatchesItsGoldenFile) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.serve_statuses();
  std::string out = list(f, {"list"});
  EXPECT_EQ(out, golden("list_healthy.txt", out));
  EXPECT_NE(out.find("+ Cluster: pglab (7712584199298505757) "), std::string::npos);
}

TEST(ListView, TopologyAndExtendedListMatchTheirGoldenFiles) {
  CtlFixture f;
  f.load_scenario("after-failover");
  f.serve_statuses();
  std::string topology = list(f, {"topology"});
  EXPECT_EQ(topology, golden("topology_after_failover.txt", topology));
  std::string extended = list(f, {"list", "-e"});
  EXPECT_EQ(extended, golden("list_extended_after_failover.txt", extended));
}

// Without members answering, the pretty table still has patronictl's rows and columns up to TL.
TEST(ListView, MachineFormatsKeepPatronictlsColumnsAndValues) {
  CtlFixture f;
  f.load_scenario("after-failover");
  std::string json = list(f, {"list", "-f", "json"});
  EXPECT_EQ(json,
            "[{\"Cluster\": \"pglab\", \"Member\": \"node1\", \"Host\": \"127.0.0.1:5432\", "
            "\"Role\": \"Replica\", \"State\": \"running\", \"TL\": 3, \"Lag in MB\": 0, "
            "\"Receive Lag\": 0, \"Replay Lag\": \"unknown\"}, "
            "{\"Cluster\": \"pglab\", \"Member\": \"node3\", \"Host\": \"127.0.0.1:5434\", "
            "\"Role\": \"Leader\", \"State\": \"running\", \"TL\": 3}]\n");
  std::string tsv = list(f, {"list", "-f", "tsv"});
  EXPECT_EQ(tsv.substr(0, tsv.find('\n')),
            "Cluster\tMember\tHost\tRole\tState\tTL\tLag in MB\tReceive Lag\tReplay Lag");
}

TEST(ListView, PrettyRowsMatchPatronictlsUpToTheLagColumns) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.serve_statuses();
  std::string ours = list(f, {"list"});
  std::string theirs = patronictl_output("healthy", "list.txt");
  auto row = [](const std::string& text, const std::string& member) {
    auto at = text.find("| " + member + " ");
    return text.substr(at, text.find('\n', at) - at);
  };
  for (const std::string member : {"node1", "node2", "node3"}) {
    std::string a = row(ours, member), b = row(theirs, member);
    // Member, Host, Role, State, TL: the first five cells are the same text.
    auto cut = [](const std::string& r) {
      std::size_t pos = 0;
      for (int i = 0; i < 5; ++i) pos = r.find('|', pos + 1);
      return r.substr(0, pos);
    };
    EXPECT_EQ(cut(a), cut(b)) << member;
  }
}

TEST(ListView, ShowsPauseScheduledSwitchoverPendingRestartAndTags) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.put("config", R"({"ttl":30,"loop_wait":10,"pause":true})");
  f.put("failover",
        R"({"leader":"node1","member":"node2","scheduled_at":"2030-01-01T10:00:00+00:00"})");
  f.put("members/node2",
        R"({"conn_url":"postgres://127.0.0.1:5433/postgres","api_url":"http://127.0.0.1:8009/patroni",)"
        R"("state":"running","role":"replica","version":"3.0.2","xlog_location":67273264,)"
        R"("timeline":1,"pending_restart":true,"tags":{"nofailover":true},"pause":true})");
  std::string out = list(f, {"list"});
  EXPECT_EQ(out, golden("list_paused.txt", out));
  EXPECT_NE(out.find("(7712584199298505757, paused)"), std::string::npos);
  EXPECT_NE(out.find(" Maintenance mode: on\n"), std::string::npos);
  EXPECT_NE(out.find(" Switchover scheduled at: 2030-01-01T10:00:00+00:00\n"
                     "                    from: node1\n"
                     "                      to: node2\n"),
            std::string::npos);
}

TEST(ListView, TopologyPutsReplicasUnderTheirReplicatefromUpstream) {
  CtlFixture f;
  f.load_scenario("healthy");
  f.put("members/node3",
        R"({"conn_url":"postgres://127.0.0.1:5434/postgres","api_url":"http://127.0.0.1:8010/patroni",)"
        R"("state":"running","role":"replica","version":"3.0.2","timeline":1,)"
        R"("tags":{"replicatefrom":"node2"}})");
  std::string out = list(f, {"topology"});
  EXPECT_NE(out.find("| node1     |"), std::string::npos) << out;
  EXPECT_NE(out.find("| + node2   |"), std::string::npos) << out;
  EXPECT_NE(out.find("|   + node3 |"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown"), std::string::npos) << "node3 publishes no position";
}

TEST(ListView, LagsComeFromTheMembersWhenTheyAnswer) {
  ClusterView view;
  MemberView leader, replica;
  leader.name = "a";
  leader.is_leader = true;
  replica.name = "b";
  replica.lag = 5;
  view.members = {leader, replica};
  MemberStatus a, b;
  a.reachable = b.reachable = true;
  a.location = 1000;
  b.received = 900;
  b.replayed = 100;
  auto lags = member_lags(view, {{"a", a}, {"b", b}}, 10);
  EXPECT_EQ(lags["b"].receive, 100u);
  EXPECT_EQ(lags["b"].replay, 900u);
  EXPECT_EQ(lags.count("a"), 0u);
  auto fallback = member_lags(view, {}, 10);
  EXPECT_EQ(fallback["b"].receive, 5u);
  EXPECT_FALSE(fallback["b"].replay.has_value());
}

TEST(ListView, AReceivePositionBehindReplayCountsAsReplay) {
  // A restarted standby reports its receive position from a segment start, behind what it
  // already replayed: the receive lag must not exceed the replay lag.
  ClusterView view;
  MemberView leader, replica;
  leader.name = "a";
  leader.is_leader = true;
  replica.name = "b";
  view.members = {leader, replica};
  MemberStatus a, b;
  a.reachable = b.reachable = true;
  a.location = 1000;
  b.received = 0;
  b.replayed = 800;
  auto lags = member_lags(view, {{"a", a}, {"b", b}}, 10);
  EXPECT_EQ(lags["b"].receive, 200u);
  EXPECT_EQ(lags["b"].replay, 200u);
}

TEST(ListView, LagInMbRoundsHalfToEvenLikePython) {
  EXPECT_EQ(python_round(0.5), 0);
  EXPECT_EQ(python_round(1.5), 2);
  EXPECT_EQ(python_round(2.5), 2);
  EXPECT_EQ(python_round(2.6), 3);
}

TEST(ListView, AnUnknownClusterListsNothingAndSaysSo) {
  CtlFixture f;
  f.load_scenario("healthy");
  EXPECT_EQ(f.run({"list", "nosuch"}), 0);
  EXPECT_NE(f.errors().find("no cluster 'nosuch' in etcd (nothing under /service/nosuch/)"), std::string::npos);
}

}  // namespace
}  // namespace pghalo::ctl
