// Every health-check rule of spec 3.3 and the probes of 3.4, one table row per situation.
#include "api/health.h"

#include <gtest/gtest.h>

#include <functional>

#include "api/read_routes.h"
#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

using model::MemberName;
using Mutation = std::function<void(model::StatusSnapshot&, MonoTime now)>;

const MonoTime kNow = MonoTime(std::chrono::hours(1));

void no_change(model::StatusSnapshot&, MonoTime) {}

void as_replica_of_a_cluster_ahead_by_2mb(model::StatusSnapshot& s, MonoTime) {
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  cluster->status.optime = model::Lsn(s.pg.replayed_lsn.value + 2 * 1024 * 1024);
  s.cluster = cluster;
}

void with_sync_standby(model::StatusSnapshot& s, MonoTime) {
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  (*cluster->config)["synchronous_mode"] = true;
  cluster->sync = model::SyncState{MemberName("node1"), {MemberName("node2")}, {}};
  s.cluster = cluster;
  s.synchronous_mode = true;
}

void without_dcs_view(model::StatusSnapshot& s, MonoTime now) {
  s.cluster_view_at = now - std::chrono::seconds(31);  // older than ttl
}

void lock_expired(model::StatusSnapshot& s, MonoTime now) {
  s.lock_valid_until = now - std::chrono::seconds(1);
}

void with_tags(model::StatusSnapshot& s, MonoTime) {
  s.configured_tags = {{"zone", "a"}, {"nofailover", false}, {"weight", 1.5}, {"rack", 7}};
  s.tags = model::Tags::from_json(s.configured_tags);
}

void as_standby_leader(model::StatusSnapshot& s, MonoTime now) {
  s.standby_cluster = true;
  s.role = model::Role::kStandbyLeader;
  s.lock_valid_until = now + std::chrono::seconds(5);
}

void stopped(model::StatusSnapshot& s, MonoTime) {
  s.state = model::PgState::kStopped;
  s.pg = {};
}

void noloadbalance(model::StatusSnapshot& s, MonoTime) { s.tags.noloadbalance = true; }

void paused_without_view_or_lock(model::StatusSnapshot& s, MonoTime now) {
  without_dcs_view(s, now);
  lock_expired(s, now);
  s.paused = true;
}

struct Row {
  const char* situation;
  bool leader;  // start from the healthy leader (node1) or replica (node2)
  Mutation mutate;
  const char* path;
  std::map<std::string, std::string> query;
  int expected;
};

class HealthRule : public ::testing::TestWithParam<Row> {};

TEST_P(HealthRule, AnswersTheCodePatroniGives) {
  const Row& row = GetParam();
  model::StatusSnapshot s =
      row.leader ? testing::leader_snapshot(kNow) : testing::replica_snapshot(kNow);
  row.mutate(s, kNow);
  NodeStatus node = node_status(s, s.has_cluster_view(kNow));
  EXPECT_EQ(health_check_status(row.path, row.query, s, node, kNow), row.expected)
      << row.situation << ": " << row.path;
}

// clang-format off
const Row kRows[] = {
  {"healthy leader", true, no_change, "/", {}, 200},
  {"healthy leader", true, no_change, "/primary", {}, 200},
  {"healthy leader", true, no_change, "/master", {}, 200},
  {"healthy leader", true, no_change, "/read-write", {}, 200},
  {"healthy leader", true, no_change, "/leader", {}, 200},
  {"healthy leader", true, no_change, "/standby-leader", {}, 503},
  {"healthy leader", true, no_change, "/standby_leader", {}, 503},
  {"healthy leader", true, no_change, "/replica", {}, 503},
  {"healthy leader", true, no_change, "/read-only", {}, 200},
  {"healthy leader", true, no_change, "/health", {}, 200},
  {"healthy leader", true, no_change, "/sync", {}, 503},
  {"healthy leader", true, no_change, "/asynchronous", {}, 503},
  {"healthy leader", true, no_change, "/read-only-sync", {}, 200},
  {"healthy leader", true, no_change, "/read-only-synchronous", {}, 200},
  {"unknown path", true, no_change, "/foo", {}, 503},
  {"a specific endpoint reached by HEAD", true, no_change, "/patroni", {}, 503},
  {"substring match", true, no_change, "/api/primary/x", {}, 200},
  {"healthy replica", false, no_change, "/", {}, 503},
  {"healthy replica", false, no_change, "/primary", {}, 503},
  {"healthy replica", false, no_change, "/leader", {}, 503},
  {"healthy replica", false, no_change, "/replica", {}, 200},
  {"healthy replica", false, no_change, "/read-only", {}, 200},
  {"healthy replica", false, no_change, "/health", {}, 200},
  {"healthy replica", false, no_change, "/async", {}, 200},
  {"healthy replica", false, no_change, "/asynchronous", {}, 200},
  {"healthy replica", false, no_change, "/sync", {}, 503},
  {"healthy replica", false, no_change, "/read-only-sync", {}, 503},
  {"lag under the limit", false, as_replica_of_a_cluster_ahead_by_2mb, "/replica", {{"lag", "3MB"}}, 200},
  {"lag over the limit", false, as_replica_of_a_cluster_ahead_by_2mb, "/replica", {{"lag", "1MB"}}, 503},
  {"lag in bytes", false, as_replica_of_a_cluster_ahead_by_2mb, "/replica", {{"lag", "1048576"}}, 503},
  {"lag in kB", false, as_replica_of_a_cluster_ahead_by_2mb, "/replica", {{"lag", "4096kB"}}, 200},
  {"unreadable lag means no limit", false, as_replica_of_a_cluster_ahead_by_2mb, "/replica", {{"lag", "lots"}}, 200},
  {"lag applies to read-only", false, as_replica_of_a_cluster_ahead_by_2mb, "/read-only", {{"lag", "1MB"}}, 503},
  {"lag does not apply to health", false, as_replica_of_a_cluster_ahead_by_2mb, "/health", {{"lag", "1MB"}}, 200},
  {"noloadbalance", false, noloadbalance, "/replica", {}, 503},
  {"noloadbalance", false, noloadbalance, "/read-only", {}, 503},
  {"noloadbalance", false, noloadbalance, "/health", {}, 200},
  {"matching tag", false, with_tags, "/replica", {{"tag_zone", "a"}}, 200},
  {"other tag value", false, with_tags, "/replica", {{"tag_zone", "b"}}, 503},
  {"false boolean tag", false, with_tags, "/replica", {{"tag_nofailover", "false"}}, 200},
  {"float tag", false, with_tags, "/replica", {{"tag_weight", "1.5"}}, 200},
  {"integer tag", false, with_tags, "/replica", {{"tag_rack", "7"}}, 200},
  {"tag not configured", false, with_tags, "/replica", {{"tag_dc", "x"}}, 503},
  {"tag filter on health", false, with_tags, "/health", {{"tag_zone", "b"}}, 503},
  {"tag filter ignored on leader", true, with_tags, "/leader", {{"tag_zone", "b"}}, 200},
  {"tag filter ignored on primary", true, with_tags, "/primary", {{"tag_zone", "b"}}, 200},
  {"non-tag query keys ignored", false, with_tags, "/replica", {{"zone", "b"}}, 200},
  {"sync standby", false, with_sync_standby, "/sync", {}, 200},
  {"sync standby", false, with_sync_standby, "/synchronous", {}, 200},
  {"sync standby", false, with_sync_standby, "/async", {}, 503},
  {"sync standby", false, with_sync_standby, "/read-only-sync", {}, 200},
  {"sync standby", false, with_sync_standby, "/replica", {}, 200},
  {"sync standby without DCS view", false, [](auto& s, auto now) { with_sync_standby(s, now); without_dcs_view(s, now); }, "/sync", {}, 503},
  {"no DCS view", false, without_dcs_view, "/async", {}, 503},
  {"no DCS view", false, without_dcs_view, "/replica", {}, 200},
  {"no DCS view, lock expired", true, [](auto& s, auto now) { without_dcs_view(s, now); lock_expired(s, now); }, "/primary", {}, 503},
  {"no DCS view but paused: role decides", true, paused_without_view_or_lock, "/primary", {}, 200},
  {"no DCS view but paused: role decides", true, paused_without_view_or_lock, "/leader", {}, 200},
  {"no DCS view but paused: role decides", false, [](auto& s, auto now) { without_dcs_view(s, now); s.paused = true; }, "/primary", {}, 503},
  {"lock expired, still primary", true, lock_expired, "/primary", {}, 503},
  {"lock expired, still primary", true, lock_expired, "/read-only", {}, 503},
  {"lock expired, still primary", true, lock_expired, "/health", {}, 200},
  {"PostgreSQL stopped", false, stopped, "/health", {}, 503},
  {"PostgreSQL stopped", false, stopped, "/replica", {}, 503},
  {"PostgreSQL not answering", false, [](auto& s, auto) { s.pg.accepting_connections = false; }, "/health", {}, 503},
  {"standby cluster leader", false, as_standby_leader, "/standby-leader", {}, 200},
  {"standby cluster leader", false, as_standby_leader, "/primary", {}, 503},
  {"standby cluster leader", false, as_standby_leader, "/leader", {}, 200},
  {"standby cluster leader", false, as_standby_leader, "/replica", {}, 503},
  {"standby cluster leader", false, as_standby_leader, "/read-only", {}, 200},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Spec33, HealthRule, ::testing::ValuesIn(kRows));

TEST(Liveness, AnswersWhileTheLoopIsOnScheduleAndFailsAfterTtlOnAPrimary) {
  auto s = testing::leader_snapshot(kNow);
  s.next_cycle_at = kNow - std::chrono::seconds(29);
  EXPECT_EQ(liveness_status(s, kNow), 200);
  s.next_cycle_at = kNow - std::chrono::seconds(30);
  EXPECT_EQ(liveness_status(s, kNow), 503);
}

TEST(Liveness, GivesAReplicaTwiceTheTtl) {
  auto s = testing::replica_snapshot(kNow);
  s.next_cycle_at = kNow - std::chrono::seconds(59);
  EXPECT_EQ(liveness_status(s, kNow), 200);
  s.next_cycle_at = kNow - std::chrono::seconds(60);
  EXPECT_EQ(liveness_status(s, kNow), 503);
}

TEST(Liveness, IsAlwaysFineWhilePaused) {
  auto s = testing::leader_snapshot(kNow);
  s.next_cycle_at = {};
  s.paused = true;
  EXPECT_EQ(liveness_status(s, kNow), 200);
}

TEST(Readiness, IsReadyAsLeaderOrAsARunningReplicaWithADcsView) {
  auto leader = testing::leader_snapshot(kNow);
  EXPECT_EQ(readiness_status(leader, node_status(leader, true), kNow), 200);
  auto replica = testing::replica_snapshot(kNow);
  EXPECT_EQ(readiness_status(replica, node_status(replica, true), kNow), 200);
  without_dcs_view(replica, kNow);
  EXPECT_EQ(readiness_status(replica, node_status(replica, false), kNow), 503);
  replica.state = model::PgState::kStarting;
  EXPECT_EQ(readiness_status(replica, node_status(replica, true), kNow), 503);
}

TEST(ReadRoute, HeadAndOptionsGetTheStatusLineOnly) {
  RenderedSnapshot rendered(std::make_shared<model::StatusSnapshot>(testing::replica_snapshot(kNow)));
  for (const char* method : {"HEAD", "OPTIONS"}) {
    Request request;
    request.method = method;
    request.path = "/replica";
    Response response = read_route(request, rendered, kNow);
    EXPECT_EQ(response.status, 200) << method;
    EXPECT_TRUE(response.status_line_only) << method;
    request.path = "/liveness";  // no specific handler for HEAD: generic check, no rule matches
    EXPECT_EQ(read_route(request, rendered, kNow).status, 503) << method;
  }
}

TEST(ReadRoute, LivenessAndReadinessAnswerWithTheStatusLineOnlyEvenForGet) {
  RenderedSnapshot rendered(std::make_shared<model::StatusSnapshot>(testing::leader_snapshot(kNow)));
  for (const char* path : {"/liveness", "/readiness"}) {
    Request request;
    request.method = "GET";
    request.path = path;
    Response response = read_route(request, rendered, kNow);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_TRUE(response.status_line_only) << path;
  }
}

TEST(FirstSegment, PicksTheHandlerNameLikePatroni) {
  EXPECT_EQ(first_segment("/"), "");
  EXPECT_EQ(first_segment("/cluster"), "cluster");
  EXPECT_EQ(first_segment("/cluster/x"), "cluster");
  EXPECT_EQ(first_segment("//patroni"), "patroni");
}

}  // namespace
}  // namespace pghalo::api
