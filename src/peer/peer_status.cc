#include <algorithm>

#include "peer/peer_client.h"

namespace pghalo::peer {
namespace {

using Json = nlohmann::json;

// Python's bool(value), which is how Patroni reads tags.nofailover and watchdog_failed.
bool truthy(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<long long>() != 0;
  if (value.is_number_float()) return value.get<double>() != 0.0;
  if (value.is_string() || value.is_array() || value.is_object()) return !value.empty();
  return false;
}

std::uint64_t position(const Json& xlog, const char* key) {
  auto it = xlog.find(key);
  if (it == xlog.end() || !it->is_number_integer()) return 0;
  return it->get<long long>() > 0 ? it->get<std::uint64_t>() : 0;
}

model::PeerStatus unreachable(const model::MemberName& name, std::string why) {
  model::PeerStatus status;
  status.name = name;
  status.error = std::move(why);
  return status;
}

}  // namespace

model::PeerStatus parse_peer_status(const model::MemberName& name, const std::string& body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return unreachable(name, "the status is not JSON");
  if (!doc.is_object()) return unreachable(name, "the status is not a JSON object");
  auto xlog = doc.find("wal");
  if (xlog == doc.end()) xlog = doc.find("xlog");
  if (xlog == doc.end() || !xlog->is_object()) {
    return unreachable(name, "the status has no xlog (PostgreSQL is not answering there)");
  }
  model::PeerStatus status;
  status.name = name;
  status.reachable = true;
  auto location = xlog->find("location");
  status.is_primary = location != xlog->end() && truthy(*location);
  status.wal_position = model::Lsn(
      status.is_primary ? position(*xlog, "location")
                        : std::max(position(*xlog, "received_location"),
                                   position(*xlog, "replayed_location")));
  if (auto tl = doc.find("timeline"); tl != doc.end() && tl->is_number_integer()) {
    status.timeline = model::TimelineId(tl->get<std::int64_t>());
  }
  if (auto tags = doc.find("tags"); tags != doc.end() && tags->is_object()) {
    if (auto nofailover = tags->find("nofailover"); nofailover != tags->end()) {
      status.nofailover = truthy(*nofailover);
    }
    if (auto priority = tags->find("failover_priority");
        priority != tags->end() && priority->is_number_integer()) {
      status.failover_priority = priority->get<long long>();
      status.nofailover = status.nofailover || status.failover_priority <= 0;
    }
  }
  if (auto watchdog = doc.find("watchdog_failed"); watchdog != doc.end()) {
    status.watchdog_failed = truthy(*watchdog);
  }
  if (auto state = doc.find("state"); state != doc.end() && state->is_string()) {
    status.state = state->get<std::string>();
  }
  return status;
}

std::string endpoint_url(const std::string& api_url, const std::string& path) {
  std::size_t scheme = api_url.find("://");
  if (scheme == std::string::npos) return {};
  std::size_t path_start = api_url.find_first_of("/?#", scheme + 3);
  return api_url.substr(0, path_start) + path;
}

}  // namespace pghalo::peer
