// Commands the REST API (and signal handlers) post to the agent's bounded queue. The agent runs
// them on its loop thread and answers through `reply`. Value types.
#pragma once

#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "common/clock.h"
#include "model/ids.h"

namespace pghalo::model {

struct CommandReply {
  int status = 200;
  std::string body;                       // text or JSON
  bool json = false;                      // Content-Type: application/json when true
};

struct RestartCommand {
  std::optional<bool> restart_pending;    // only if pending_restart
  std::optional<std::string> role;        // "primary"/"master"/"replica"
  std::optional<std::string> postgres_version;
  std::optional<Duration> timeout;
  std::optional<WallTime> schedule;
  nlohmann::json raw = nlohmann::json::object();  // published as scheduled_restart
};
struct CancelScheduledRestartCommand {};
struct ReloadCommand {};
struct ReinitializeCommand {
  bool force = false;
};
// POST /switchover and /failover: validated by the agent against its view, written to /failover.
// Reply: 200 (any body) = /failover was written, the REST handler then watches the snapshots for
// the outcome (spec 3.5 rule 6); 202 = scheduled; anything else is relayed as the answer
// (412 with the feasibility message, 503 "failed to write <action> key into DCS", ...).
struct SwitchoverCommand {
  bool is_failover = false;
  std::optional<MemberName> leader;
  std::optional<MemberName> candidate;
  std::optional<WallTime> scheduled_at;
};
struct CancelSwitchoverCommand {};
struct PatchConfigCommand {
  nlohmann::json patch;
};
struct ReplaceConfigCommand {
  nlohmann::json config;
};
// POST /failsafe from the leader during an etcd outage. The REST API answers "Accepted" as soon as
// this is queued and does not wait for the reply: the loop may itself be stuck on etcd.
struct FailsafeHeartbeatCommand {
  nlohmann::json body;
};
struct ShutdownCommand {};

using CommandBody =
    std::variant<RestartCommand, CancelScheduledRestartCommand, ReloadCommand,
                 ReinitializeCommand, SwitchoverCommand, CancelSwitchoverCommand,
                 PatchConfigCommand, ReplaceConfigCommand, FailsafeHeartbeatCommand,
                 ShutdownCommand>;

struct Command {
  CommandBody body;
  std::shared_ptr<std::promise<CommandReply>> reply = std::make_shared<std::promise<CommandReply>>();
};

}  // namespace pghalo::model
