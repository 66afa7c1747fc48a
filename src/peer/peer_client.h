// PeerClient: what the agent asks other members over their REST API: `GET <api_url>` during the
// leader race and switchover checks (2 s, no retry, in parallel, spec 3.6) and `POST /failsafe`.
// The real implementation is CurlPeerClient (curl_peer_client.h); tests use a fake.
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
  // Queries every target at once; returns one status per target, in the targets' order
  // (unreachable ones included), within `timeout` overall.
  virtual std::vector<model::PeerStatus> fetch_status(const std::vector<PeerTarget>& targets,
                                                      Duration timeout) = 0;
  // POSTs `body` to <scheme://host:port of api_url>/failsafe on every target at once; one reply
  // per target in order. A transport failure is retried once, so this takes at most 2*timeout.
  virtual std::vector<FailsafeReply> post_failsafe(const std::vector<PeerTarget>& targets,
                                                   const nlohmann::json& body,
                                                   Duration timeout) = 0;
};

// Parses a `GET /patroni` body into the fields the race uses (pure; for the real client and tests).
// As Patroni does: the HTTP status does not matter, a body without an `xlog` (or `wal`) object
// means unreachable, `xlog.location` present and non-zero means primary, otherwise the position
// is max(received_location, replayed_location); tags.nofailover is read with Python truthiness.
model::PeerStatus parse_peer_status(const model::MemberName& name, const std::string& body);

// "https://10.0.0.1:8008/patroni" -> "https://10.0.0.1:8008/failsafe" (path replaced, as Patroni
// builds the POST /failsafe address from api_url). Empty when `api_url` has no scheme.
std::string endpoint_url(const std::string& api_url, const std::string& path);

}  // namespace pghalo::peer
