#include "ctl/member_status.h"

#include <thread>

namespace pghalo::ctl {
namespace {

std::optional<std::uint64_t> lsn_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  auto value = it->get<std::int64_t>();
  return value < 0 ? std::nullopt : std::optional<std::uint64_t>(static_cast<std::uint64_t>(value));
}

std::string string_field(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool MemberStatus::accepts_writes() const {
  return reachable && (role == "master" || role == "primary") && state == "running";
}

MemberStatus parse_status(const Result<RestResponse>& answer) {
  MemberStatus status;
  if (!answer.ok()) {
    status.error = answer.error().message;
    return status;
  }
  auto body = nlohmann::json::parse(answer->body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    status.error = "HTTP " + std::to_string(answer->status) + " without a status document";
    return status;
  }
  status.reachable = true;
  status.role = string_field(body, "role");
  status.state = string_field(body, "state");
  auto xlog = body.find("xlog");
  if (xlog != body.end()) {
    status.location = lsn_field(*xlog, "location");
    status.received = lsn_field(*xlog, "received_location");
    status.replayed = lsn_field(*xlog, "replayed_location");
  }
  status.body = std::move(body);
  return status;
}

std::map<std::string, MemberStatus> fetch_statuses(RestClient& rest,
                                                   const std::vector<MemberAddress>& members,
                                                   Duration timeout) {
  std::vector<MemberStatus> results(members.size());
  std::vector<std::thread> threads;
  threads.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].api_url.empty()) {
      results[i].error = "no api_url in its member key";
      continue;
    }
    threads.emplace_back([&, i] {
      RestRequest request;
      request.url = members[i].api_url;
      request.timeout = timeout;
      results[i] = parse_status(rest.send(request));
    });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, MemberStatus> out;
  for (std::size_t i = 0; i < members.size(); ++i) out[members[i].name] = std::move(results[i]);
  return out;
}

}  // namespace pghalo::ctl
