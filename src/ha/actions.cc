#include <type_traits>

#include "ha/decision.h"

namespace pghalo::ha {

std::string_view job_kind_name(JobKind kind) {
  switch (kind) {
    case JobKind::kBootstrap: return "bootstrap";
    case JobKind::kClone: return "clone";
    case JobKind::kStart: return "start";
    case JobKind::kRejoin: return "rejoin";
    case JobKind::kPromote: return "promote";
    case JobKind::kStop: return "stop";
    case JobKind::kFollow: return "follow";
    case JobKind::kReinitialize: return "reinitialize";
    case JobKind::kRestart: return "restart";
  }
  return "?";
}

namespace {
template <typename T>
constexpr std::string_view name_of() {
  if constexpr (std::is_same_v<T, AcquireLeader>) return "acquire_leader";
  else if constexpr (std::is_same_v<T, RefreshLeader>) return "refresh_leader";
  else if constexpr (std::is_same_v<T, ReleaseLeader>) return "release_leader";
  else if constexpr (std::is_same_v<T, TakeLeaderAfterBootstrap>) return "take_leader_after_bootstrap";
  else if constexpr (std::is_same_v<T, RaceInitialize>) return "race_initialize";
  else if constexpr (std::is_same_v<T, SetInitialize>) return "set_initialize";
  else if constexpr (std::is_same_v<T, DeleteInitialize>) return "delete_initialize";
  else if constexpr (std::is_same_v<T, PublishBootstrapConfig>) return "publish_bootstrap_config";
  else if constexpr (std::is_same_v<T, ClearFailoverRequest>) return "clear_failover_request";
  else if constexpr (std::is_same_v<T, PublishLeaderStatus>) return "publish_leader_status";
  else if constexpr (std::is_same_v<T, UpdateHistory>) return "update_history";
  else if constexpr (std::is_same_v<T, FetchPeerStatus>) return "fetch_peer_status";
  else if constexpr (std::is_same_v<T, PostFailsafe>) return "post_failsafe";
  else if constexpr (std::is_same_v<T, PublishFailsafe>) return "publish_failsafe";
  else if constexpr (std::is_same_v<T, WriteSync>) return "write_sync";
  else if constexpr (std::is_same_v<T, DeleteSync>) return "delete_sync";
  else if constexpr (std::is_same_v<T, SetSynchronousStandbyNames>) return "set_synchronous_standby_names";
  else if constexpr (std::is_same_v<T, SyncReplicationSlots>) return "sync_replication_slots";
  else if constexpr (std::is_same_v<T, Bootstrap>) return "bootstrap";
  else if constexpr (std::is_same_v<T, Clone>) return "clone";
  else if constexpr (std::is_same_v<T, StartPostgres>) return "start_postgres";
  else if constexpr (std::is_same_v<T, Rejoin>) return "rejoin";
  else if constexpr (std::is_same_v<T, Promote>) return "promote";
  else if constexpr (std::is_same_v<T, StopPostgres>) return "stop_postgres";
  else if constexpr (std::is_same_v<T, FollowLeader>) return "follow_leader";
  else if constexpr (std::is_same_v<T, Fatal>) return "fatal";
  else return "?";
}
}  // namespace

std::string action_name(const Action& action) {
  return std::visit([](const auto& a) { return std::string(name_of<std::decay_t<decltype(a)>>()); },
                    action);
}

std::optional<JobKind> job_of(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::optional<JobKind> {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Bootstrap>) return JobKind::kBootstrap;
        else if constexpr (std::is_same_v<T, Clone>) return JobKind::kClone;
        else if constexpr (std::is_same_v<T, StartPostgres>) return JobKind::kStart;
        else if constexpr (std::is_same_v<T, Rejoin>) return JobKind::kRejoin;
        else if constexpr (std::is_same_v<T, Promote>) return JobKind::kPromote;
        else if constexpr (std::is_same_v<T, StopPostgres>) return JobKind::kStop;
        else if constexpr (std::is_same_v<T, FollowLeader>) return JobKind::kFollow;
        else return std::nullopt;
      },
      action);
}

}  // namespace pghalo::ha
