// Reading and validating the JSON bodies of the mutating endpoints (spec 3.5): the body rules
// (411 without Content-Length, 400 for bad JSON, non-objects and empty objects), the filters of
// POST /restart, the request rules of POST /switchover and /failover that the snapshot can decide
// (rules 1-4 of 3.5, except the peer reachability check, which is the agent's), and schedules.
// Messages are Patroni's where clients assert them, otherwise our own and naming the problem.
// Pure functions of (body, snapshot, now); thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "api/http_message.h"
#include "api/timestamps.h"
#include "common/clock.h"
#include "model/command.h"
#include "model/status.h"

namespace pghalo::api {

// The parsed body object (keys in the order sent) or the error response to send.
using JsonBody = std::variant<nlohmann::ordered_json, Response>;

// `optional`: a missing or zero Content-Length reads as {} (POST /restart, /reinitialize).
JsonBody read_json_body(const Request& request, bool optional);

// A `schedule` / `scheduled_at` value: the time, or 400 without a time zone, 422 when unreadable
// or in the past. `action` names the operation in messages ("restart", "switchover", ...).
std::variant<Timestamp, Response> parse_schedule(const nlohmann::ordered_json& value,
                                                 const std::string& action, WallTime now);

// POST /restart filters -> the command, or the 400/422/500 answer.
std::variant<model::RestartCommand, Response> validate_restart(const nlohmann::ordered_json& body,
                                                               bool paused, WallTime now);

// POST /reinitialize: {"force": true|"on"|...}.
model::ReinitializeCommand reinitialize_command(const nlohmann::ordered_json& body);

// POST /switchover and /failover rules 1-4 (spec 3.5) -> the command, or the 400/412/422 answer.
// Rule 4 needs a fresh cluster view; without one it is left to the agent.
std::variant<model::SwitchoverCommand, Response> validate_switchover(
    const nlohmann::ordered_json& body, bool is_failover, const model::StatusSnapshot& snapshot,
    MonoTime now, WallTime wall_now);

// Python's parse_bool: true for true/on/yes/1, false for false/off/no/0, else nullopt.
std::optional<bool> parse_bool_value(const nlohmann::ordered_json& value);

// "30", 30, "30s", "2min", "1h", "1d", "1500ms" -> seconds (ms rounded to the nearest second).
std::optional<long long> parse_seconds(const nlohmann::ordered_json& value);

// "15.3", "9.6.24" -> ok; "10", "9.6" and non-numbers -> the message Patroni gives.
std::optional<std::string> postgres_version_error(const std::string& version);

}  // namespace pghalo::api
