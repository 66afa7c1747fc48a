#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

const std::vector<Row> kLeaderRace = {
    {"a running primary without a leader key takes the lock",
     [](World& w) { w.primary(5000); }, Reason::kAcquiringLockAsPrimary, {"acquire_leader"}},
    {"a primary whose timeline is behind the cluster history does not take the lock",
     [](World& w) {
       w.primary(5000, 1);
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
     },
     Reason::kStaleTimeline, {}},
    // Simulator seeds 7, 64, 143: a replica left on an older timeline (it missed the last
    // promotion, or diverged and never streamed again) won the race and promoted onto a timeline
    // number the previous primary had already used.
    {"seed 64: a replica whose timeline is behind the cluster history does not take the lock",
     [](World& w) {
       w.replica(5000, 1).no_peers_answered();
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
     },
     Reason::kStaleTimeline, {}},
    {"seed 64: ... not even as the requested failover candidate",
     [](World& w) {
       w.replica(5000, 1).failover(std::nullopt, "node1");
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
     },
     Reason::kStaleTimeline, {}},
    {"seed 7: a replica behind the timeline another member publishes does not take the lock",
     [](World& w) {
       w.replica(5000, 2).no_peers_answered();
       w.cluster().members[MemberName("node2")].timeline = model::TimelineId(3);
     },
     Reason::kStaleTimeline, {}},
    // Simulator seeds 24, 105, 154, ...: the only member on the newest timeline lost its data.
    {"seed 24: a replica behind a timeline that no live member holds any more races",
     [](World& w) {
       w.replica(5000, 1).no_peers_answered();
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
       w.member("node2", "stopped", "uninitialized").no_member("node3");
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"seed 24: ... but not while a member that may hold it has its PostgreSQL down",
     [](World& w) {
       w.replica(5000, 1).no_peers_answered();
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
       w.member("node2", "stopped", "uninitialized").member("node3", "crashed", "demoted");
     },
     Reason::kStaleTimeline, {}},
    {"seed 24: ... nor as a running primary, which cannot leave its timeline",
     [](World& w) {
       w.primary(5000, 1);
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
       w.member("node2", "stopped", "uninitialized").no_member("node3");
     },
     Reason::kStaleTimeline, {}},
    {"seed 2889: a nofailover member on a newer timeline does not hold the others back",
     [](World& w) {
       w.replica(5000, 3).no_peers_answered();
       w.cluster().members[MemberName("node3")].timeline = model::TimelineId(4);
       w.cluster().members[MemberName("node3")].tags.nofailover = true;
       w.member("node2", "stopped", "uninitialized");
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"seed 24: ... and the lag rule still applies",
     [](World& w) {
       w.replica(5000, 1).no_peers_answered().optime(5000 + 1048577);
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
       w.member("node2", "stopped", "uninitialized").no_member("node3");
     },
     Reason::kTooFarBehind, {}},
    {"a replica on the cluster's timeline races as usual",
     [](World& w) {
       w.replica(5000, 2).no_peers_answered();
       w.cluster().history = std::vector<model::HistoryEntry>{{model::TimelineId(1), Lsn(4000), "", {}, {}}};
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"a replica first asks the other members for their positions",
     [](World& w) { w.replica(1000); }, Reason::kFetchingPeerStatus, {"fetch_peer_status"}},
    {"a replica ahead of every peer takes the lock",
     [](World& w) { w.replica(1000).peer("node2", 900).peer("node3", 1000); }, Reason::kAcquiringLock,
     {"acquire_leader"}},
    {"a replica alone in the cluster takes the lock when no peer answers",
     [](World& w) { w.replica(1000).no_peers_answered(); }, Reason::kAcquiringLock, {"acquire_leader"}},
    {"a replica behind an eligible peer does not race",
     [](World& w) { w.replica(1000).peer("node2", 1200).peer("node3", 900); },
     Reason::kNotHealthiestPeerAhead, {}},
    // Simulator seeds 3612, 7247, 7399, 7918: the replicas on the newest timeline deferred to a
    // former primary that had written on past the promotion it missed; it refused the lock
    // itself (stale_timeline), and the cluster stayed without a primary.
    {"seed 3612: a peer further in its WAL on an older timeline is not healthier",
     [](World& w) {
       w.replica(1000, 3).peer("node2", 5000).peer("node3", 900);
       w.obs.peers->front().timeline = model::TimelineId(1);
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"seed 3612: ... but one ahead on our own timeline is",
     [](World& w) {
       w.replica(1000, 3).peer("node2", 5000);
       w.obs.peers->front().timeline = model::TimelineId(3);
     },
     Reason::kNotHealthiestPeerAhead, {}},
    {"seed 3612: ... and so is one ahead whose timeline is not known",
     [](World& w) { w.replica(1000, 3).peer("node2", 5000); }, Reason::kNotHealthiestPeerAhead, {}},
    {"seed 3612: ... and one running as a primary on an older timeline still blocks the race",
     [](World& w) {
       w.replica(1000, 3).peer("node2", 5000, true);
       w.obs.peers->front().timeline = model::TimelineId(1);
     },
     Reason::kNotHealthiestPeerIsPrimary, {}},
    {"an unreachable peer is ignored",
     [](World& w) { w.replica(1000).peer("node2", 5000, false, false).peer("node3", 900); },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"a nofailover peer that is ahead is ignored",
     [](World& w) { w.replica(1000).peer("node2", 5000, false, true, true); },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"a peer still running as primary blocks the race",
     [](World& w) { w.replica(1000).peer("node2", 900, true); }, Reason::kNotHealthiestPeerIsPrimary, {}},
    {"a replica lagging more than maximum_lag_on_failover does not race",
     [](World& w) { w.replica(1000).optime(1000 + 1048577); }, Reason::kTooFarBehind, {}},
    {"a replica within maximum_lag_on_failover may race",
     [](World& w) { w.replica(1000).optime(1000 + 1048576).peer("node2", 10); }, Reason::kAcquiringLock,
     {"acquire_leader"}},
    {"a nofailover member never races",
     [](World& w) { w.replica(1000).cfg.tags.nofailover = true; }, Reason::kNotEligibleNofailover, {}},
    {"failover_priority 0 acts as nofailover",
     [](World& w) { w.replica(1000).cfg.tags.failover_priority = 0; }, Reason::kNotEligibleNofailover, {}},
    {"the requested failover candidate takes the lock without comparing",
     [](World& w) { w.replica(10).failover("node3", "node1").peer("node2", 5000); },
     Reason::kManualFailoverCandidate, {"acquire_leader"}},
    {"another requested candidate that is reachable is left to win",
     [](World& w) { w.replica(5000).failover(std::nullopt, "node2").peer("node2", 10); },
     Reason::kManualFailoverOtherCandidate, {}},
    {"an unreachable requested candidate falls back to the healthiest member",
     [](World& w) {
       w.replica(5000).failover(std::nullopt, "node2").peer("node2", 10, false, false).peer("node3", 10);
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"a manual failover ignores the former leader's position",
     [](World& w) {
       w.replica(500).failover("node3", "node2").peer("node2", 10, false, false).peer("node3", 9000);
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    // Simulator seeds 38, 342, 371, 387: the named candidate never took the lock (it refused it
    // itself: a stale timeline, not /sync's standby) and the others deferred to it for ever.
    {"seed 38: a requested candidate that let ttl pass is ignored; the winner clears the request",
     [](World& w) {
       w.replica(5000).failover(std::nullopt, "node2").peer("node2", 9000).peer("node3", 10);
       w.mem.failover_seen = Memory::SeenRequest{model::Revision(77), testing::kNow - std::chrono::seconds(31)};
     },
     Reason::kManualFailoverExpired, {"acquire_leader", "clear_failover_request"}},
    {"seed 38: ... not before ttl passed",
     [](World& w) {
       w.replica(5000).failover(std::nullopt, "node2").peer("node2", 9000).peer("node3", 10);
       w.mem.failover_seen = Memory::SeenRequest{model::Revision(77), testing::kNow - std::chrono::seconds(29)};
     },
     Reason::kManualFailoverOtherCandidate, {}},
    {"seed 38: ... and a newer request gets its own ttl",
     [](World& w) {
       w.replica(5000).failover(std::nullopt, "node2").peer("node2", 9000).peer("node3", 10);
       w.mem.failover_seen = Memory::SeenRequest{model::Revision(76), testing::kNow - std::chrono::seconds(60)};
     },
     Reason::kManualFailoverOtherCandidate, {}},
    {"seed 38: after expiry the healthiest of the rest still wins, the lag rule waived",
     [](World& w) {
       w.replica(5000).failover(std::nullopt, "node2").peer("node2", 9000).peer("node3", 7000);
       w.optime(5000 + 1048577);
       w.mem.failover_seen = Memory::SeenRequest{model::Revision(77), testing::kNow - std::chrono::seconds(31)};
     },
     Reason::kNotHealthiestPeerAhead, {}},
    {"seed 38: after expiry a candidate running as a primary still blocks the race",
     [](World& w) {
       w.replica(5000).failover(std::nullopt, "node2").peer("node2", 9000, true);
       w.mem.failover_seen = Memory::SeenRequest{model::Revision(77), testing::kNow - std::chrono::seconds(31)};
     },
     Reason::kNotHealthiestPeerIsPrimary, {}},
    {"a member the leader reached in failsafe mode stays out of the race",
     [](World& w) {
       w.replica(5000).peer("node2", 10);
       w.obs.failsafe_leader = MemberName("node3");
       w.obs.failsafe_leader_until = testing::kNow + std::chrono::seconds(5);
     },
     Reason::kFailsafeLeaderAlive, {}},
    {"an expired failsafe heartbeat no longer blocks the race",
     [](World& w) {
       w.replica(5000).peer("node2", 10);
       w.obs.failsafe_leader = MemberName("node3");
       w.obs.failsafe_leader_until = testing::kNow - std::chrono::seconds(1);
     },
     Reason::kAcquiringLock, {"acquire_leader"}},
    {"failsafe mode: a member missing from /failsafe may not take over",
     [](World& w) {
       w.replica(5000);
       w.cfg.failsafe_mode = true;
       w.mem.failsafe_members = {{MemberName("node2"), "b"}, {MemberName("node3"), "c"}};
     },
     Reason::kNotListedInFailsafe, {}},
};
PGHALO_DECISION_TABLE(LeaderRaceTable, kLeaderRace);

TEST(LeaderRaceTest, FailsafeModeAlsoAsksTheFormerLeaderWithoutAMemberKey) {
  World w;
  w.replica(1000).no_member("node3");
  w.cfg.failsafe_mode = true;
  w.mem.failsafe_members = {{MemberName("node1"), "a"}, {MemberName("node3"), "c"}};
  auto d = w.decide();
  const auto* fetch = d.find<FetchPeerStatus>();
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->members, (std::vector<MemberName>{MemberName("node2"), MemberName("node3")}));
}

TEST(LeaderRaceTest, WinningWakesTheNextCycleAtOnce) {
  World w;
  w.replica(1000).peer("node2", 10);
  auto d = w.decide();
  ASSERT_TRUE(d.wake_in.has_value());
  EXPECT_EQ(*d.wake_in, Duration(0));
}

// Two replicas reading each other's positions a moment apart can each find the other ahead; a
// loser looks again within a second instead of leaving the cluster leaderless for loop_wait.
TEST(LeaderRaceTest, DeferringToAPeerLooksAgainWithinASecond) {
  for (auto setup : {+[](World& w) { w.replica(1000).peer("node2", 1200); },
                     +[](World& w) { w.replica(1000).peer("node2", 900, true); },
                     +[](World& w) { w.replica(5000).failover(std::nullopt, "node2").peer("node2", 10); }}) {
    World w;
    w.cfg.loop_wait = std::chrono::seconds(10);
    setup(w);
    auto d = w.decide();
    EXPECT_TRUE(d.actions.empty() || d.find<AcquireLeader>() == nullptr) << d.detail;
    ASSERT_TRUE(d.wake_in.has_value()) << d.detail;
    EXPECT_LE(*d.wake_in, Duration(std::chrono::seconds(1))) << d.detail;
  }
}

TEST(LeaderRaceTest, Seed38TheFirstLeaderlessSightOfARequestIsRemembered) {
  World w;
  w.replica(5000).failover(std::nullopt, "node2").peer("node2", 9000);
  auto d = w.decide();
  ASSERT_TRUE(d.memory.failover_seen.has_value());
  EXPECT_EQ(d.memory.failover_seen->revision, model::Revision(77));
  EXPECT_EQ(d.memory.failover_seen->since, testing::kNow);
  w.mem = d.memory;
  w.obs.now = testing::kNow + std::chrono::seconds(5);
  EXPECT_EQ(w.decide().memory.failover_seen->since, testing::kNow) << "kept while unchanged";
  w.leader("node3");
  EXPECT_FALSE(w.decide().memory.failover_seen.has_value()) << "forgotten once someone leads";
}

TEST(LeaderRaceTest, FetchesStatusOfEveryOtherMember) {
  World w;
  w.replica(1000);
  auto d = w.decide();
  const auto* fetch = d.find<FetchPeerStatus>();
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(fetch->members, (std::vector<MemberName>{MemberName("node2"), MemberName("node3")}));
}

}  // namespace
}  // namespace pghalo::ha
