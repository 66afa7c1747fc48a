#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

void leading(World& w) { w.leader("node1").primary(5000).optime(5000); }

const std::vector<Row> kSwitchover = {
    {"a switchover request first checks the candidates",
     [](World& w) { leading(w); w.failover("node1", "node2"); }, Reason::kSwitchoverCheckingCandidates,
     {"sync_replication_slots", "fetch_peer_status"}},
    {"a healthy candidate makes the leader stop PostgreSQL",
     [](World& w) { leading(w); w.failover("node1", "node2").peer("node2", 5000); },
     Reason::kSwitchoverDemoting, {"stop_postgres"}},
    {"without a named candidate any healthy replica will do",
     [](World& w) { leading(w); w.failover("node1", std::nullopt).peer("node2", 10, false, false).peer("node3", 5000); },
     Reason::kSwitchoverDemoting, {"stop_postgres"}},
    {"a lagging candidate is refused and the request cleared",
     [](World& w) {
       w.leader("node1").primary(5000 + 2 * 1048576).optime(5000 + 2 * 1048576);
       w.failover("node1", "node2").peer("node2", 5000);
     },
     Reason::kSwitchoverNoCandidate, {"sync_replication_slots", "clear_failover_request"}},
    {"an unreachable candidate is refused",
     [](World& w) { leading(w); w.failover("node1", "node2").peer("node2", 5000, false, false); },
     Reason::kSwitchoverNoCandidate, {"sync_replication_slots", "clear_failover_request"}},
    {"a nofailover candidate is refused",
     [](World& w) { leading(w); w.failover("node1", "node2").peer("node2", 5000, false, true, true); },
     Reason::kSwitchoverNoCandidate, {"sync_replication_slots", "clear_failover_request"}},
    {"a request naming another leader is cleared",
     [](World& w) { leading(w); w.failover("node3", "node2"); }, Reason::kSwitchoverRejected,
     {"sync_replication_slots", "clear_failover_request"}},
    {"a request naming us as candidate is cleared",
     [](World& w) { leading(w); w.failover(std::nullopt, "node1"); }, Reason::kSwitchoverRejected,
     {"sync_replication_slots", "clear_failover_request"}},
    {"a switchover scheduled for later waits",
     [](World& w) {
       leading(w);
       w.failover("node1", "node2");
       w.cluster().failover->scheduled_at = testing::kWallNow + std::chrono::minutes(5);
       w.cluster().failover->scheduled_text = "later";
     },
     Reason::kSwitchoverScheduled, {"sync_replication_slots"}},
    {"a switchover scheduled long ago is discarded",
     [](World& w) {
       leading(w);
       w.failover("node1", "node2");
       w.cluster().failover->scheduled_at = testing::kWallNow - std::chrono::minutes(5);
       w.cluster().failover->scheduled_text = "earlier";
     },
     Reason::kSwitchoverRejected, {"sync_replication_slots", "clear_failover_request"}},
    {"an unparsable schedule is discarded",
     [](World& w) {
       leading(w);
       w.failover("node1", "node2");
       w.cluster().failover->scheduled_text = "tomorrow-ish";
     },
     Reason::kSwitchoverRejected, {"sync_replication_slots", "clear_failover_request"}},
    {"a stopped former leader releases the lock after the switchover stop",
     [](World& w) {
       w.leader("node1").stopped();
       w.mem.releasing_for_switchover = true;
     },
     Reason::kReleasingLockAfterSwitchover, {"release_leader"}},
};
PGHALO_DECISION_TABLE(SwitchoverTable, kSwitchover);

TEST(SwitchoverTest, DemotionIsRememberedSoTheLockIsReleasedAfterTheStop) {
  World w;
  leading(w);
  w.failover("node1", "node2").peer("node2", 5000);
  auto d = w.decide();
  EXPECT_TRUE(d.memory.releasing_for_switchover);
  EXPECT_EQ(d.find<StopPostgres>()->mode, StopMode::kFast);
}

}  // namespace
}  // namespace pghalo::ha
