#include "api/read_routes.h"

#include "api/health.h"
#include "api/python_json.h"

namespace pghalo::api {
namespace {

Response shared_json(int status, const std::shared_ptr<const std::string>& body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.shared_body = body;
  return response;
}

Response no_cluster_view() {
  return error_response(503, "no view of the DCS yet: the agent has not read etcd successfully");
}

Response failsafe_route(const RenderedSnapshot& rendered) {
  const auto& s = rendered.snapshot();
  if (!s.cluster || !s.cluster->failsafe) {
    return error_response(502, "failsafe mode is off: there is no /failsafe key to show");
  }
  nlohmann::ordered_json members = nlohmann::ordered_json::object();
  for (const auto& [name, url] : *s.cluster->failsafe) members[name.value] = url;
  return json_response(200, python_json(members));
}

}  // namespace

std::string first_segment(const std::string& path) {
  std::size_t start = path.find_first_not_of('/');
  if (start == std::string::npos) return std::string();
  return path.substr(start, path.find('/', start) - start);
}

bool is_read_endpoint(const std::string& method, const std::string& segment) {
  if (method != "GET") return false;
  return segment == "liveness" || segment == "readiness" || segment == "patroni" ||
         segment == "cluster" || segment == "history" || segment == "config" ||
         segment == "metrics" || segment == "failsafe";
}

Response read_route(const Request& request, const RenderedSnapshot& rendered, MonoTime now) {
  const auto& s = rendered.snapshot();
  const auto& variant = rendered.variant(now);
  const std::string segment = first_segment(request.path);
  if (!is_read_endpoint(request.method, segment)) {
    int status = health_check_status(request.path, request.query, s, variant.node, now);
    if (request.method != "GET") return status_only_response(status);
    return shared_json(status, variant.status_json);
  }
  if (segment == "patroni") return shared_json(200, variant.status_json);
  if (segment == "liveness") return status_only_response(liveness_status(s, now));
  if (segment == "readiness") return status_only_response(readiness_status(s, variant.node, now));
  if (segment == "metrics") {
    Response response;
    response.content_type = "text/plain";
    response.shared_body = variant.metrics;
    return response;
  }
  if (segment == "failsafe") return failsafe_route(rendered);
  if (!s.cluster) return no_cluster_view();
  if (segment == "cluster") return shared_json(200, rendered.cluster_json());
  if (segment == "history") return shared_json(200, rendered.history_json());
  // segment == "config"
  if (!rendered.config_json()) {
    return error_response(502, "there is no /config key in the DCS");
  }
  return shared_json(200, rendered.config_json());
}

}  // namespace pghalo::api
