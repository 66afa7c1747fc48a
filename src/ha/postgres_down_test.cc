#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

const std::vector<Row> kPostgresDown = {
    {"the lock holder restarts a crashed PostgreSQL as primary",
     [](World& w) { w.leader("node1").primary(5000).stopped(); }, Reason::kStartingAsLeader,
     {"start_postgres"}},
    {"the lock holder on an old lease also moves the key",
     [](World& w) { w.leader("node1", 5).primary(5000).stopped(); }, Reason::kStartingAsLeader,
     {"refresh_leader", "start_postgres"}},
    {"the lock holder whose PostgreSQL last ran as a standby starts it read-only to promote it",
     [](World& w) { w.leader("node1").replica(1000).stopped(); }, Reason::kStartingStandbyAsLeader,
     {"start_postgres"}},
    {"... and on an old lease also moves the key",
     [](World& w) { w.leader("node1", 5).replica(1000).stopped(); }, Reason::kStartingStandbyAsLeader,
     {"refresh_leader", "start_postgres"}},
    {"the lock holder whose start failed gives the lock up",
     [](World& w) { w.leader("node1").primary(5000).stopped().finished(JobKind::kStart, false, "boom"); },
     Reason::kStartFailedReleasingLock, {"release_leader"}},
    {"a stopped replica rejoins the leader",
     [](World& w) { w.leader("node2").replica(1000).stopped(); }, Reason::kRejoiningLeader, {"rejoin"}},
    {"a stopped former primary rejoins the leader (rewinding if needed)",
     [](World& w) { w.leader("node2").primary(5000).stopped(); }, Reason::kRejoiningLeader, {"rejoin"}},
    {"without a leader a stopped member starts read-only to join the race",
     [](World& w) { w.replica(1000).stopped(); }, Reason::kStartingReplicaWithoutLeader,
     {"start_postgres"}},
    {"a leader without published conninfo is not rejoined yet",
     [](World& w) {
       w.leader("node2").replica(1000).stopped();
       w.cluster().members[MemberName("node2")].conn_url.clear();
     },
     Reason::kStartingReplicaWithoutLeader, {"start_postgres"}},
    {"a running server that does not answer yet is waited for",
     [](World& w) { w.leader("node2").replica(1000).not_answering(); }, Reason::kPostgresNotReady, {}},
    {"paused: a stopped PostgreSQL is left alone and its lock released",
     [](World& w) { w.leader("node1").primary(5000).stopped().paused(); }, Reason::kPausedPostgresStopped,
     {"release_leader"}},
};
PGHALO_DECISION_TABLE(PostgresDownTable, kPostgresDown);

TEST(PostgresDownTest, StartingAsLeaderStartsAsPrimary) {
  World w;
  w.leader("node1").primary(5000).stopped();
  auto d = w.decide();
  EXPECT_TRUE(d.find<StartPostgres>()->as_primary);
  EXPECT_TRUE(d.fence.armed);  // it will accept writes: bounded by the lease
}

// Simulator seed 40: node2 took the lock after a switchover and its promote job was fenced (the
// monotonic clock jumped past the lease), which stopped the standby before it promoted. The next
// cycle started that standby's data directory as the primary: PostgreSQL ended recovery on
// timeline 1, writable without a new timeline, where node3 had written beyond node2's position.
// A standby holding the lock must start read-only and promote onto a new timeline.
TEST(PostgresDownTest, Seed40ALockHolderThatLastRanAsAStandbyIsNotStartedAsThePrimary) {
  for (const char* state : {"shut down in recovery", "in archive recovery", ""}) {
    World w;
    w.leader("node1").replica(1000).stopped().finished(JobKind::kPromote, false, "the fence fired");
    w.obs.pg.control->cluster_state = state;
    auto d = w.decide();
    EXPECT_EQ(d.reason, Reason::kStartingStandbyAsLeader) << state;
    ASSERT_NE(d.find<StartPostgres>(), nullptr) << state;
    EXPECT_FALSE(d.find<StartPostgres>()->as_primary) << state;
    EXPECT_FALSE(d.find<StartPostgres>()->upstream.has_value()) << state;
    EXPECT_FALSE(d.fence.armed) << state;  // read-only until the promotion
  }
  // Once it answers as a replica, the lock holder promotes it above the newest known timeline.
  World w;
  w.leader("node1").replica(1000);
  auto d = w.decide();
  EXPECT_EQ(d.reason, Reason::kPromoting);
  EXPECT_NE(d.find<Promote>(), nullptr);
}

TEST(PostgresDownTest, ACrashedPrimaryLockHolderStartsAsThePrimary) {
  for (const char* state : {"in production", "shut down", "in crash recovery", "shutting down"}) {
    World w;
    w.leader("node1").primary(5000).stopped();
    w.obs.pg.control->cluster_state = state;
    auto d = w.decide();
    EXPECT_EQ(d.reason, Reason::kStartingAsLeader) << state;
    EXPECT_TRUE(d.find<StartPostgres>()->as_primary) << state;
  }
}

TEST(PostgresDownTest, RejoinRemembersTheUpstream) {
  World w;
  w.leader("node2").replica(1000).stopped();
  auto d = w.decide();
  EXPECT_EQ(d.memory.following, MemberName("node2"));
  EXPECT_FALSE(d.fence.armed);
}

}  // namespace
}  // namespace pghalo::ha
