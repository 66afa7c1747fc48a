// The members' own view of themselves (GET <api_url>, i.e. /patroni, spec 3.2), asked of all
// members at once so a listing costs one timeout even when some agents hang. `list` uses it for
// the receive/replay lag, the switchover and restart monitors for the role and state over time.
// Thread-safe: fetch_statuses() starts one thread per member and joins them all.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/rest_client.h"

namespace pghalo::ctl {

struct MemberStatus {
  bool reachable = false;
  std::string error;  // why not, when unreachable
  nlohmann::json body;
  std::string role;   // "master"/"primary", "replica", "standby_leader", ...
  std::string state;  // "running", "stopping", "creating replica", ...
  std::optional<std::uint64_t> location;  // a primary's current WAL position
  std::optional<std::uint64_t> received, replayed;

  // A running primary: the member accepts writes.
  bool accepts_writes() const;
};

struct MemberAddress {
  std::string name;
  std::string api_url;
};

// Reads one answer (any status code with a JSON object body counts: a replica's /patroni
// answers 503 when PostgreSQL is down, with a body).
MemberStatus parse_status(const Result<RestResponse>& answer);

std::map<std::string, MemberStatus> fetch_statuses(RestClient& rest,
                                                   const std::vector<MemberAddress>& members,
                                                   Duration timeout);

}  // namespace pghalo::ctl
