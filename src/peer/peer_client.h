// PeerClient: what the agent asks other members over their REST API: `GET <api_url>` during the
// leader race and switchover checks (2 s, no retry, in parallel, spec 3.6) and `POST /failsafe`.
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/member.h"

namespace pghalo::peer {

struct PeerTarget {
  model::MemberName name;
  std::string api_url;  // verbatim from the member key (ends in /patroni)
};

struct FailsafeReply {
  model::MemberName name;
  bool accepted = false;  // 200 with body "Accepted"
  std::string error;
};

class PeerClient {
 public:
  virtual ~PeerClient() = default;
  // Queries every target at once; returns one status per target (unreachable ones included),
  // within `timeout` overall.
  virtual std::vector<model::PeerStatus> fetch_status(const std::vector<PeerTarget>& targets,
                                                      Duration timeout) = 0;
  virtual std::vector<FailsafeReply> post_failsafe(const std::vector<PeerTarget>& targets,
                                                   const nlohmann::json& body,
                                                   Duration timeout) = 0;
};

// Parses a `GET /patroni` body into the fields the race uses (pure; for the real client and tests).
model::PeerStatus parse_peer_status(const model::MemberName& name, const std::string& body);

}  // namespace pghalo::peer
