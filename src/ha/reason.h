// Reason: why a cycle decided what it decided. Stable names (they appear in logs, in
// docs/ha-decisions.md, and in the simulator's probe table); add new ones, never rename.
// Pure; thread-safe.
#pragma once

#include <array>
#include <string_view>

namespace pghalo::ha {

#define PGHALO_HA_REASONS(X)                                                                      \
  /* etcd could not be read this cycle */                                                         \
  X(kDcsUnavailableLeaseValid, "etcd unreachable; our lease is provably valid, staying primary") \
  X(kDcsUnavailableDemote, "etcd unreachable and the lease can no longer be proven; demoting")   \
  X(kDcsUnavailableStartReadOnly, "etcd unreachable; starting PostgreSQL read-only, no upstream")\
  X(kDcsUnavailable, "etcd unreachable; nothing to protect, waiting")                            \
  X(kDcsUnavailablePaused, "etcd unreachable while paused; no automatic action")                 \
  X(kFailsafeActive, "etcd unreachable; every member answered our failsafe call: staying primary") \
  X(kFailsafeLeaderAlive, "no leader key, but the leader reached us in failsafe mode; not racing") \
  /* long actions */                                                                              \
  X(kJobInProgress, "a long action is running")                                                  \
  X(kJobInProgressAsLeader, "a long action is running; keeping the leader lock")                 \
  X(kBootstrapInProgress, "bootstrapping a new cluster")                                         \
  /* empty data directory */                                                                      \
  X(kRacingToBootstrap, "no cluster yet; racing for the initialize key")                         \
  X(kBootstrapStarting, "won the initialize race; running initdb")                               \
  X(kBootstrapFinished, "bootstrap done; publishing the system id, config and leader key")       \
  X(kBootstrapFailed, "bootstrap failed; releasing the initialize key")                          \
  X(kWaitingForLeaderToBootstrap, "another member is bootstrapping; waiting for its leader key") \
  X(kCloningFromLeader, "empty data directory; cloning from the leader")                         \
  X(kCloningFromMember, "empty data directory; cloning from a clonefrom member")                 \
  X(kCloneBackoff, "the last clone failed; waiting before the next attempt")                     \
  X(kWaitingForLeaderToClone, "empty data directory; the leader is not running yet")             \
  X(kReleasingLockWithoutData, "holding the lock with an empty data directory; releasing it")    \
  X(kDataDirectoryInvalid, "the data directory is not usable; operator action needed")           \
  X(kUninitializedPaused, "empty data directory while paused; no automatic action")              \
  X(kSystemIdMismatch, "the data directory belongs to another cluster")                          \
  /* PostgreSQL not running */                                                                    \
  X(kStartingAsLeader, "holding the lock with PostgreSQL down; starting it as primary")          \
  X(kStartingStandbyAsLeader, "holding the lock with a stopped standby; starting it to promote it") \
  X(kStartFailedReleasingLock, "PostgreSQL failed to start while holding the lock; releasing")   \
  X(kReleasingLockAfterSwitchover, "PostgreSQL stopped for a switchover; releasing the lock")    \
  X(kRejoiningLeader, "PostgreSQL down; rejoining the leader (rewind if diverged)")              \
  X(kStartingReplicaWithoutLeader, "PostgreSQL down and no leader; starting read-only")          \
  X(kPostgresNotReady, "PostgreSQL is running but not answering yet")                            \
  X(kPausedPostgresStopped, "PostgreSQL down while paused; no automatic action")                 \
  /* leader race */                                                                               \
  X(kAcquiringLockAsPrimary, "no leader and PostgreSQL is a primary; taking the lock")           \
  X(kFetchingPeerStatus, "no leader; asking the other members for their WAL positions")          \
  X(kAcquiringLock, "no leader and this member is the healthiest; taking the lock")              \
  X(kNotHealthiestPeerAhead, "no leader, but another member is further ahead")                   \
  X(kNotHealthiestPeerIsPrimary, "no leader, but another member is still a primary")             \
  X(kTooFarBehind, "no leader, but this member lags more than maximum_lag_on_failover")          \
  X(kNotEligibleNofailover, "no leader, and this member may not fail over (nofailover)")         \
  X(kNotListedInFailsafe, "no leader, and failsafe mode lets only /failsafe's members take over") \
  X(kNotSynchronousStandby, "no leader, and synchronous mode lets only /sync's members take over") \
  X(kStaleTimeline, "no leader, but this primary's timeline is behind the cluster history")      \
  X(kManualFailoverCandidate, "no leader and this member is the requested candidate")            \
  X(kManualFailoverOtherCandidate, "no leader; letting the requested candidate take over")       \
  X(kManualFailoverExpired, "no leader; the requested candidate let ttl pass, taking the lock")  \
  /* holding the lock */                                                                          \
  X(kLeaderHealthy, "the leader with the lock; nothing to do")                                   \
  X(kMovingLockToNewLease, "the leader key is on an old lease; moving it to the current one")    \
  X(kPromoting, "holding the lock as a replica; promoting")                                      \
  X(kSwitchoverScheduled, "a switchover is scheduled for later; waiting")                        \
  X(kSwitchoverRejected, "the switchover request cannot be honoured; clearing it")               \
  X(kSwitchoverNoCandidate, "no member can take over; clearing the switchover request")          \
  X(kSwitchoverCheckingCandidates, "switchover requested; checking the candidates")              \
  X(kSwitchoverDemoting, "switchover: stopping PostgreSQL before releasing the lock")            \
  /* following */                                                                                 \
  X(kFollowingLeader, "a replica following the leader; nothing to do")                           \
  X(kFollowingNewLeader, "the leader changed; pointing replication at the new leader")           \
  X(kDemotingLostLock, "PostgreSQL is a primary but another member holds the lock; demoting")    \
  X(kStoppingToRejoin, "a former primary running read-only; stopping it to rejoin (pg_rewind)")   \
  X(kLeaderMemberUnknown, "the leader has not published how to reach it yet; waiting")           \
  /* paused (maintenance mode) */                                                                 \
  X(kPausedNoAction, "paused; no automatic action")                                              \
  X(kPausedAcquiringLock, "paused, no leader, and PostgreSQL is a primary; taking the lock")      \
  X(kPausedReleasingLock, "paused and holding the lock without a primary; releasing it")        \
  X(kPausedLeader, "paused; the leader with the lock")                                           \
  X(kNoAction, "no action")

enum class Reason {
#define PGHALO_HA_REASON_ENUM(name, text) name,
  PGHALO_HA_REASONS(PGHALO_HA_REASON_ENUM)
#undef PGHALO_HA_REASON_ENUM
};

inline constexpr std::size_t kReasonCount = 0
#define PGHALO_HA_REASON_COUNT(name, text) +1
    PGHALO_HA_REASONS(PGHALO_HA_REASON_COUNT)
#undef PGHALO_HA_REASON_COUNT
    ;

// "leader_healthy" for kLeaderHealthy: the stable snake_case name.
std::string_view reason_name(Reason reason);
// The one-line meaning (docs/ha-decisions.md, logs).
std::string_view reason_summary(Reason reason);
std::array<Reason, kReasonCount> all_reasons();

}  // namespace pghalo::ha
