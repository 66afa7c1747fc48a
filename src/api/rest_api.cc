#include "api/rest_api.h"

#include "api/python_json.h"
#include "api/read_routes.h"
#include "api/request_body.h"
#include "api/status_document.h"

namespace pghalo::api {
namespace {

using Json = nlohmann::ordered_json;

bool is_read_method(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

// POST /patroni is what the seed's guide sends to "reinitialize"; say what to call instead.
Response post_patroni(const Request& request) {
  std::string action;
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_object() && body.contains("action") && body["action"].is_string()) {
    action = body["action"].get<std::string>();
  }
  std::string hint;
  if (action == "restart") {
    hint = "to restart PostgreSQL use POST /restart (patronictl restart / pghaloctl restart)";
  } else if (action == "reload") {
    hint = "to reload the configuration use POST /reload (patronictl reload / pghaloctl reload)";
  } else {
    hint = "to reinitialize a member use POST /reinitialize (patronictl reinit / pghaloctl reinit)";
  }
  return text_response(501, "POST /patroni is not a Patroni endpoint; " + hint +
                                ". GET /patroni reads this member's status.");
}

Response unsupported_method(const Request& request) {
  return text_response(501, "Unsupported method ('" + request.method + "') for " + request.path);
}

std::string title(std::string word) {
  if (!word.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

std::optional<std::string> leader_name(const model::StatusSnapshot& s) {
  if (!s.cluster || !s.cluster->leader) return std::nullopt;
  return s.cluster->leader->name.value;
}

}  // namespace

Response reply_response(const model::CommandReply& reply) {
  if (reply.json) {
    Json parsed = Json::parse(reply.body, nullptr, false);
    return json_response(reply.status, parsed.is_discarded() ? reply.body : python_json(parsed));
  }
  return text_response(reply.status, reply.body);
}

std::string switchover_success_message(bool is_failover, const std::string& new_leader,
                                       const std::optional<std::string>& candidate) {
  const std::string verb = is_failover ? "fail" : "switch";
  if (!candidate || *candidate == new_leader) {
    return "Successfully " + verb + "ed over to \"" + new_leader + "\"";
  }
  return title(verb) + "ed over to \"" + new_leader + "\" instead of \"" + *candidate + "\"";
}

RestApi::RestApi(RestApiOptions options, const SnapshotSource& snapshots, CommandSink sink,
                 const Clock& clock, Waiter& waiter)
    : options_(std::move(options)),
      access_(options_.access),
      snapshots_(snapshots),
      sink_(std::move(sink)),
      clock_(clock),
      waiter_(waiter) {}

bool RestApi::is_fast(const Request& request) const { return is_read_method(request.method); }

std::shared_ptr<const RenderedSnapshot> RestApi::rendered() const {
  auto snapshot = snapshots_.current();
  if (!snapshot) return nullptr;
  {
    std::lock_guard lock(cache_mutex_);
    if (cache_ && cache_->source() == snapshot.get()) return cache_;
  }
  // Rendered outside the lock; two threads meeting a new snapshot at once both render it, which
  // is cheaper than making every health check wait behind one renderer.
  auto fresh = std::make_shared<const RenderedSnapshot>(std::move(snapshot));
  std::lock_guard lock(cache_mutex_);
  cache_ = fresh;
  return fresh;
}

Response RestApi::handle(const Request& request) {
  auto snapshot = rendered();
  if (!snapshot) {
    return error_response(503, "the agent has not published its first status yet");
  }
  if (is_read_method(request.method)) return read_route(request, *snapshot, clock_.now());
  if (request.method == "POST" && first_segment(request.path) == "patroni") {
    return post_patroni(request);
  }
  return unsafe_route(request, *snapshot);
}

Response RestApi::unsafe_route(const Request& request, const RenderedSnapshot& rendered) {
  const std::string segment = first_segment(request.path);
  const std::string& method = request.method;
  const model::StatusSnapshot& s = rendered.snapshot();
  bool known = (segment == "config" && (method == "PATCH" || method == "PUT")) ||
               ((segment == "restart" || segment == "switchover") && method == "DELETE") ||
               (method == "POST" &&
                (segment == "reload" || segment == "failsafe" || segment == "sigterm" ||
                 segment == "restart" || segment == "reinitialize" || segment == "failover" ||
                 segment == "switchover" || segment == "citus"));
  if (!known) return unsupported_method(request);
  if (auto denied = access_.check(request, s.cluster.get())) return *denied;

  if (method == "DELETE") {
    if (segment == "restart") {
      return run_command(model::CancelScheduledRestartCommand{}, options_.command_timeout,
                         "delete the scheduled restart");
    }
    return run_command(model::CancelSwitchoverCommand{}, options_.command_timeout,
                       "delete the scheduled switchover");
  }
  if (segment == "reload") {
    Response response = run_command(model::ReloadCommand{}, options_.command_timeout, "reload");
    if (response.status < 300 && reload_hook_) reload_hook_();
    return response;
  }
  if (segment == "sigterm") return text_response(202, "shutdown scheduled");
  if (segment == "failsafe") return post_failsafe(request, s);
  if (segment == "restart") return post_restart(request, s);
  if (segment == "switchover" || segment == "failover") {
    return post_switchover(request, s, segment == "failover");
  }
  bool optional_body = segment == "reinitialize";
  JsonBody body = read_json_body(request, optional_body);
  if (auto* error = std::get_if<Response>(&body)) return *error;
  const Json& object = std::get<Json>(body);
  if (segment == "reinitialize") {
    return run_command(reinitialize_command(object), options_.command_timeout, "reinitialize");
  }
  if (segment == "citus") return text_response(200, "OK");  // not a Citus coordinator
  auto config = nlohmann::json::parse(object.dump());
  if (method == "PATCH") {
    return run_command(model::PatchConfigCommand{std::move(config)}, options_.command_timeout,
                       "patch /config");
  }
  return run_command(model::ReplaceConfigCommand{std::move(config)}, options_.command_timeout,
                     "replace /config");
}

Response RestApi::post_failsafe(const Request& request, const model::StatusSnapshot& s) {
  if (!s.failsafe_mode) {
    return error_response(502, "failsafe_mode is off on this member: POST /failsafe is refused");
  }
  JsonBody body = read_json_body(request, false);
  if (auto* error = std::get_if<Response>(&body)) return *error;
  if (s.state == model::PgState::kRunning && s.role == model::Role::kPrimary) {
    return text_response(500, "Running as a leader");
  }
  // The leader calls every member with a 2 s timeout while etcd is down, and this member's loop
  // may itself be stuck on etcd: record the heartbeat and answer without waiting for the loop.
  model::Command command{model::FailsafeHeartbeatCommand{nlohmann::json::parse(
      std::get<Json>(body).dump())}};
  if (!sink_(std::move(command))) {
    return text_response(503, "the agent's command queue is full: failsafe heartbeat not recorded");
  }
  return text_response(200, "Accepted");
}

Response RestApi::post_restart(const Request& request, const model::StatusSnapshot& s) {
  JsonBody body = read_json_body(request, true);
  if (auto* error = std::get_if<Response>(&body)) return *error;
  bool paused = s.cluster ? config_flag(*s.cluster, "pause") : s.paused;
  auto validated = validate_restart(std::get<Json>(body), paused || s.paused, clock_.wall_now());
  if (auto* error = std::get_if<Response>(&validated)) return *error;
  auto command = std::get<model::RestartCommand>(std::move(validated));
  Duration timeout = options_.restart_timeout;
  if (command.timeout && !command.schedule) timeout = *command.timeout + Duration(30000);
  return run_command(std::move(command), timeout, "restart");
}

Response RestApi::post_switchover(const Request& request, const model::StatusSnapshot& s,
                                  bool is_failover) {
  JsonBody body = read_json_body(request, false);
  if (auto* error = std::get_if<Response>(&body)) return *error;
  auto validated = validate_switchover(std::get<Json>(body), is_failover, s, clock_.now(),
                                       clock_.wall_now());
  if (auto* error = std::get_if<Response>(&validated)) return *error;
  auto command = std::get<model::SwitchoverCommand>(std::move(validated));
  const char* action = is_failover ? "failover" : "switchover";
  Response reply = run_command(command, options_.command_timeout, action);
  if (reply.status == 202 && reply.body.empty()) reply.body = title(action) + " scheduled";
  if (reply.status != 200 || command.scheduled_at) return reply;
  return poll_switchover(s, command);
}

Response RestApi::poll_switchover(const model::StatusSnapshot& before,
                                  const model::SwitchoverCommand& command) {
  const std::string action = command.is_failover ? "failover" : "switchover";
  const auto old_leader = leader_name(before);
  const auto old_revision = before.cluster ? before.cluster->failover_revision.value : 0;
  std::optional<std::string> candidate;
  if (command.candidate) candidate = command.candidate->value;
  auto loop_wait = std::max<Duration>(Duration(10000), before.loop_wait);
  const MonoTime deadline = clock_.now() + 2 * loop_wait;
  bool seen_request = false;
  while (clock_.now() < deadline) {
    if (!waiter_.sleep(options_.poll_interval)) break;
    auto now = snapshots_.current();
    if (!now || !now->cluster) continue;
    const model::ClusterState& cluster = *now->cluster;
    if (cluster.leader && (!old_leader || cluster.leader->name.value != *old_leader)) {
      return text_response(200, switchover_success_message(command.is_failover,
                                                            cluster.leader->name.value, candidate));
    }
    // Only a view that has seen our write can tell that the request was withdrawn.
    bool request_present = cluster.has_failover_request();
    seen_request = seen_request || request_present;
    if (!request_present && (seen_request || cluster.failover_revision.value > old_revision)) {
      return text_response(503, title(action) + " failed");
    }
  }
  return text_response(503, title(action) + " status unknown");
}

Response RestApi::run_command(model::CommandBody body, Duration timeout, const char* what) {
  model::Command command{std::move(body)};
  std::future<model::CommandReply> reply = command.reply->get_future();
  if (!sink_(std::move(command))) {
    return text_response(503, std::string("the agent's command queue is full, cannot ") + what +
                                  " now; try again");
  }
  auto answer = waiter_.await(reply, timeout);
  if (!answer) {
    return text_response(503, std::string("no answer from the agent within ") +
                                  std::to_string(timeout.count() / 1000) + " s to " + what +
                                  "; it may still happen");
  }
  return reply_response(*answer);
}

}  // namespace pghalo::api
