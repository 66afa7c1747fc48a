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

TEST(PostgresDownTest, RejoinRemembersTheUpstream) {
  World w;
  w.leader("node2").replica(1000).stopped();
  auto d = w.decide();
  EXPECT_EQ(d.memory.following, MemberName("node2"));
  EXPECT_FALSE(d.fence.armed);
}

}  // namespace
}  // namespace pghalo::ha
