// Commands from the REST API, run on the loop thread before each cycle observes (so a written
// /failover is seen by the same cycle), and the SIGTERM shutdown sequence.
#include <thread>
#include <type_traits>

#include "agent/agent.h"
#include "agent/config_patch.h"
#include "common/log.h"
#include "dcs/codec.h"

namespace pghalo::agent {
namespace {

model::CommandReply text(int status, std::string body) { return {status, std::move(body), false}; }

constexpr Duration kPeerTimeout = std::chrono::seconds(2);

}  // namespace

model::CommandReply Agent::run_switchover(const model::SwitchoverCommand& c) {
  const std::string action = c.is_failover ? "failover" : "switchover";
  const auto* cluster = last_cluster_.get();
  if (!cluster) return text(503, "failed to write " + action + " key into DCS");
  std::optional<model::MemberName> leader = cluster->leader ? std::optional(cluster->leader->name) : std::nullopt;
  if (!c.scheduled_at) {
    if (c.leader && (!leader || *c.leader != *leader)) return text(412, "leader name does not match");
    // Synchronous mode: only a listed synchronous standby is certain to hold every acknowledged
    // commit, so a planned switchover may go nowhere else (a failover may, as Patroni allows).
    bool sync_mode = ha_config_.synchronous_mode;
    auto is_sync = [&](const model::MemberName& name) { return cluster->sync && cluster->sync->lists(name); };
    if (c.candidate && sync_mode && !c.is_failover && !is_sync(*c.candidate)) {
      return text(412, "candidate name does not match with sync_standby");
    }
    if (c.candidate && !cluster->member(*c.candidate)) return text(412, "candidate does not exists");
    std::vector<peer::PeerTarget> targets;
    for (const auto& [name, m] : cluster->members) {
      if (leader && name == *leader) continue;
      if (c.candidate && name != *c.candidate) continue;
      if (!c.candidate && sync_mode && !is_sync(name)) continue;
      targets.push_back({name, m.api_url});
    }
    if (targets.empty()) {
      return text(412, action + (sync_mode && !c.candidate
                                     ? " is not possible: can not find sync_standby"
                                     : " is not possible: cluster does not have members except leader"));
    }
    bool any_good = false;
    for (const auto& p : deps_.peers->fetch_status(targets, kPeerTimeout)) {
      if (p.reachable && !p.nofailover && !p.watchdog_failed && !p.is_primary) any_good = true;
    }
    if (!any_good) return text(412, action + " is not possible: no good candidates have been found");
  }
  model::FailoverRequest request;
  request.leader = c.leader;
  request.candidate = c.candidate;
  request.scheduled_at = c.scheduled_at;
  if (c.scheduled_at) request.scheduled_text = format_iso8601(*c.scheduled_at);
  auto written = deps_.store->write_failover(nlohmann::json::parse(dcs::encode_failover(request)), std::nullopt);
  if (!written.ok() || !*written) return text(503, "failed to write " + action + " key into DCS");
  log::info("switchover_requested", action + " requested",
            {{"leader", c.leader ? c.leader->value : ""}, {"candidate", c.candidate ? c.candidate->value : ""}});
  if (c.scheduled_at) {
    return text(202, std::string(c.is_failover ? "Failover" : "Switchover") + " scheduled");
  }
  return text(200, "");
}

std::optional<model::CommandReply> Agent::run_command(model::Command& command) {
  return std::visit(
      [&](auto& c) -> std::optional<model::CommandReply> {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, model::SwitchoverCommand>) {
          return run_switchover(c);
        } else if constexpr (std::is_same_v<T, model::CancelSwitchoverCommand>) {
          const auto* cluster = last_cluster_.get();
          if (!cluster || !cluster->failover || !cluster->failover->scheduled_at) {
            return text(404, "no switchover is scheduled");
          }
          auto r = deps_.store->write_failover(nlohmann::json::object(), cluster->failover_revision);
          if (!r.ok()) return text(503, r.error().message);
          if (!*r) return text(409, "the switchover request changed meanwhile");
          return text(200, "scheduled switchover deleted");
        } else if constexpr (std::is_same_v<T, model::PatchConfigCommand>) {
          const auto* cluster = last_cluster_.get();
          if (!cluster || !cluster->config) return text(503, "the cluster has no /config yet");
          nlohmann::json merged = *cluster->config;
          patch_config(merged, c.patch);
          auto r = deps_.store->write_config(merged, cluster->config_revision);
          if (!r.ok()) return text(503, r.error().message);
          if (!*r) return text(409, "Conflict: /config was modified meanwhile");
          return model::CommandReply{200, merged.dump(), true};
        } else if constexpr (std::is_same_v<T, model::ReplaceConfigCommand>) {
          auto r = deps_.store->write_config(c.config, std::nullopt);
          if (!r.ok()) return text(502, r.error().message);
          return model::CommandReply{200, c.config.dump(), true};
        } else if constexpr (std::is_same_v<T, model::ReloadCommand>) {
          if (deps_.reload_local_config) {
            if (auto fresh = deps_.reload_local_config()) reload(std::move(*fresh));
          }
          return text(202, "reload scheduled");
        } else if constexpr (std::is_same_v<T, model::RestartCommand>) {
          return run_restart(c, command.reply);
        } else if constexpr (std::is_same_v<T, model::CancelScheduledRestartCommand>) {
          return run_cancel_restart();
        } else if constexpr (std::is_same_v<T, model::ReinitializeCommand>) {
          return run_reinitialize(c);
        } else if constexpr (std::is_same_v<T, model::FailsafeHeartbeatCommand>) {
          if (!dynamic_.failsafe_mode) return text(502, "failsafe mode is off");
          if (c.body.contains("name") && c.body["name"].is_string()) {
            // Keeps this member out of the leader race while the leader can reach it.
            failsafe_leader_ = model::MemberName(c.body["name"].template get<std::string>());
            failsafe_leader_until_ = deps_.clock->now() + ha_config_.ttl;
          }
          return text(200, "Accepted");
        } else {
          static_assert(std::is_same_v<T, model::ShutdownCommand>, "every command is handled");
          return text(202, "shutdown scheduled");
        }
      },
      command.body);
}

void Agent::handle_commands() {
  std::deque<model::Command> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(commands_);
  }
  for (auto& command : pending) {
    std::optional<model::CommandReply> reply;
    try {
      reply = run_command(command);
    } catch (const std::exception& e) {  // e.g. nlohmann on a malformed stored value
      reply = text(500, std::string("internal error: ") + e.what());
    }
    if (reply) command.reply->set_value(std::move(*reply));  // else answered when its job ends
  }
}

void Agent::shutdown() {
  if (restart_reply_) {
    restart_reply_->set_value(text(503, "restart failed: pghalo is shutting down"));
    restart_reply_.reset();
  }
  if (ha_config_.paused) {
    log::info("shutdown", "paused: leaving PostgreSQL running and the leader key to expire");
    return;
  }
  // A job that is running must end first (jobs are bounded): stopping under it would race.
  Duration waited{0};
  while (deps_.jobs->running() && waited < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    waited += std::chrono::milliseconds(100);
  }
  bool was_leader = last_cluster_ && last_cluster_->is_leader(ha_config_.name);
  Duration timeout = std::chrono::seconds(std::max(1, local_.postgresql.pg_ctl_timeout));
  Status stopped = deps_.postgres->stop(pg::StopMode::kFast, timeout);
  deps_.fencer->apply(ha::Fence::disarmed());
  if (!stopped.ok()) {
    log::error("shutdown", "PostgreSQL did not stop; leaving the leader key to expire: " +
                               stopped.error().message);
    return;
  }
  // Before the key goes: replicas the release wakes ask our REST API at once, and a snapshot
  // still showing a running primary would make them defer (bench: a 1 s wait per handover).
  refresh_status();
  if (was_leader) {
    auto released = deps_.store->release_leader(ha_config_.name);
    if (released.ok() && *released) {
      log::info("shutdown", "PostgreSQL stopped; released the leader key");
    } else {
      log::warn("shutdown", "PostgreSQL stopped; the leader key will expire with the lease");
    }
  }
  memory_.state = model::PgState::kStopped;
  last_member_json_.clear();
  ha::Observation obs;
  obs.cluster = last_cluster_ ? std::optional(*last_cluster_) : std::nullopt;
  if (obs.cluster) {
    Observed observed{obs, false};
    publish_member(observed);
  }
}

}  // namespace pghalo::agent
