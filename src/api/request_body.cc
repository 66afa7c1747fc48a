#include "api/request_body.h"

#include "api/status_document.h"
#include "common/strings.h"

namespace pghalo::api {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kMaxJsonDepth = 64;

// Deeply nested input would make the recursive JSON parser overflow the stack: refuse it first.
bool nesting_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::string capitalized(std::string word) {
  if (!word.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

// Python truthiness of an optional string field: absent, null and "" are all "not given".
std::optional<std::string> given_name(const Json& body, const char* key, std::string* error) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    *error = std::string("'") + key + "' must be a member name (a string), got " + it->dump();
    return std::nullopt;
  }
  std::string value = it->get<std::string>();
  if (value.empty()) return std::nullopt;
  return value;
}

Response bad_request(std::string message) { return text_response(400, std::move(message)); }

// Rule 4 of spec 3.5 without the peer check: the requested leader and candidate against the view.
std::optional<std::string> feasibility_problem(const model::ClusterState& cluster,
                                               const std::optional<std::string>& leader,
                                               const std::optional<std::string>& candidate,
                                               const std::string& action) {
  if (leader && (!cluster.leader || cluster.leader->name.value != *leader)) {
    return "leader name does not match";
  }
  bool sync_mode = config_flag(cluster, "synchronous_mode");
  if (candidate) {
    model::MemberName name(*candidate);
    if (action == "switchover" && sync_mode && !(cluster.sync && cluster.sync->lists(name))) {
      return "candidate name does not match with sync_standby";
    }
    if (!cluster.member(name)) return "candidate does not exists";
    return std::nullopt;
  }
  if (sync_mode) {
    bool any = false;
    if (cluster.sync) {
      for (const auto& name : cluster.sync->sync_standby) any = any || cluster.member(name);
    }
    if (!any) return action + " is not possible: can not find sync_standby";
    return std::nullopt;
  }
  for (const auto& [name, member] : cluster.members) {
    if (!cluster.is_leader(name) && !member.api_url.empty()) return std::nullopt;
  }
  return action + " is not possible: cluster does not have members except leader";
}

}  // namespace

JsonBody read_json_body(const Request& request, bool optional) {
  if (!request.content_length) {
    if (optional) return Json::object();
    return error_response(411, "this endpoint needs a JSON object body sent with Content-Length");
  }
  if (*request.content_length == 0 && optional) return Json::object();
  if (!nesting_within(request.body, kMaxJsonDepth)) {
    return error_response(400, "request body is nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  Json parsed;
  try {
    parsed = Json::parse(request.body);
  } catch (const nlohmann::json::exception& e) {
    // e.what() names the byte position and what was expected there.
    return error_response(400, std::string("request body is not valid JSON: ") + e.what());
  }
  if (!parsed.is_object()) {
    return error_response(400, std::string("request body must be a JSON object, got ") +
                                   parsed.type_name());
  }
  if (parsed.empty() && !optional) return error_response(400, "request body is an empty object");
  return parsed;
}

std::variant<Timestamp, Response> parse_schedule(const Json& value, const std::string& action,
                                                 WallTime now) {
  std::optional<Timestamp> parsed;
  if (value.is_string()) parsed = parse_timestamp(value.get<std::string>());
  if (!parsed) {
    return text_response(422, "Unable to parse scheduled timestamp " + value.dump() +
                                  ": use ISO 8601 with a time zone, e.g. 2026-11-26T21:00:00+00:00");
  }
  if (!parsed->offset_minutes) {
    return text_response(400, "Timezone information is mandatory for the scheduled " + action);
  }
  if (parsed->wall() < now) return text_response(422, "Cannot schedule " + action + " in the past");
  return *parsed;
}

std::optional<bool> parse_bool_value(const Json& value) {
  std::string text;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) {
    text = to_lower(value.get<std::string>());
  } else if (value.is_number_integer()) {
    text = value.dump();
  } else {
    return std::nullopt;
  }
  if (text == "on" || text == "true" || text == "yes" || text == "1") return true;
  if (text == "off" || text == "false" || text == "no" || text == "0") return false;
  return std::nullopt;
}

std::optional<long long> parse_seconds(const Json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (!value.is_string()) return std::nullopt;
  std::string_view text = trim(value.get_ref<const std::string&>());
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  auto number = parse_int64(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string_view unit = trim(text.substr(digits));
  if (unit.empty() || unit == "s") return *number;
  if (unit == "ms") return (*number + 500) / 1000;
  if (unit == "min") return *number * 60;
  if (unit == "h") return *number * 3600;
  if (unit == "d") return *number * 86400;
  return std::nullopt;
}

std::optional<std::string> postgres_version_error(const std::string& version) {
  std::vector<long long> parts;
  for (const auto& part : split(version, '.', false)) {
    auto n = parse_int64(trim(part));
    if (!n) return "Invalid PostgreSQL version: " + version;
    parts.push_back(*n);
  }
  if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 2 && parts[0] < 10)) {
    return "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: " + version;
  }
  return std::nullopt;
}

std::variant<model::RestartCommand, Response> validate_restart(const Json& body, bool paused,
                                                               WallTime now) {
  if (paused && body.contains("schedule")) {
    return text_response(500, "Can't schedule restart in the paused state");
  }
  model::RestartCommand command;
  Json raw = body;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    const Json& value = it.value();
    if (key == "schedule") {
      auto schedule = parse_schedule(value, "restart", now);
      if (auto* error = std::get_if<Response>(&schedule)) return *error;
      const auto& when = std::get<Timestamp>(schedule);
      command.schedule = when.wall();
      raw["schedule"] = format_python_isoformat(when);
    } else if (key == "role") {
      std::string role = value.is_string() ? value.get<std::string>() : std::string();
      if (role != "master" && role != "primary" && role != "replica") {
        return bad_request("PostgreSQL role should be either primary or replica");
      }
      command.role = role;
    } else if (key == "postgres_version") {
      if (!value.is_string()) {
        return bad_request("postgres_version must be a string like \"15.3\", got " + value.dump());
      }
      if (auto error = postgres_version_error(value.get<std::string>())) return bad_request(*error);
      command.postgres_version = value.get<std::string>();
    } else if (key == "timeout") {
      auto seconds = parse_seconds(value);
      if (!seconds || *seconds <= 0) {
        return bad_request("Timeout should be a positive number of seconds");
      }
      command.timeout = std::chrono::seconds(*seconds);
    } else if (key == "restart_pending") {
      auto flag = parse_bool_value(value);
      if (!flag) return bad_request("restart_pending must be true or false, got " + value.dump());
      command.restart_pending = *flag;
    } else {
      return bad_request("Unknown filter for the scheduled restart: " + key);
    }
  }
  command.raw = nlohmann::json::parse(raw.dump());
  return command;
}

model::ReinitializeCommand reinitialize_command(const Json& body) {
  model::ReinitializeCommand command;
  auto it = body.find("force");
  if (it != body.end()) command.force = parse_bool_value(*it).value_or(false);
  return command;
}

std::variant<model::SwitchoverCommand, Response> validate_switchover(
    const Json& body, bool is_failover, const model::StatusSnapshot& snapshot, MonoTime now,
    WallTime wall_now) {
  const std::string action = is_failover ? "failover" : "switchover";
  std::string type_error;
  auto leader = given_name(body, "leader", &type_error);
  auto candidate = given_name(body, "candidate", &type_error);
  if (!candidate) candidate = given_name(body, "member", &type_error);
  if (!type_error.empty()) return bad_request(type_error);
  auto scheduled = body.find("scheduled_at");
  bool has_schedule = scheduled != body.end() && !scheduled->is_null() &&
                      !(scheduled->is_string() && scheduled->get<std::string>().empty());

  if (is_failover && !candidate) {
    return bad_request("Failover could be performed only to a specific candidate");
  }
  if (!is_failover && !leader) {
    return bad_request("Switchover could be performed only from a specific leader");
  }
  bool view = snapshot.has_cluster_view(now);
  bool paused = view ? config_flag(*snapshot.cluster, "pause") : snapshot.paused;
  model::SwitchoverCommand command;
  command.is_failover = is_failover;
  if (has_schedule) {
    if (!leader) return bad_request("Scheduled " + action + " is possible only from a specific leader");
    if (paused) return bad_request("Can't schedule " + action + " in the paused state");
    auto when = parse_schedule(*scheduled, action, wall_now);
    if (auto* error = std::get_if<Response>(&when)) return *error;
    command.scheduled_at = std::get<Timestamp>(when).wall();
  }
  if (paused && !candidate) {
    return bad_request(capitalized(action) +
                       " is possible only to a specific candidate in a paused state");
  }
  if (!has_schedule && view) {
    if (auto problem = feasibility_problem(*snapshot.cluster, leader, candidate, action)) {
      return text_response(412, *problem);
    }
  }
  if (leader) command.leader = model::MemberName(*leader);
  if (candidate) command.candidate = model::MemberName(*candidate);
  return command;
}

}  // namespace pghalo::api
