// CurlPeerClient: the real PeerClient, over libcurl's multi interface so every member is asked at
// once and the whole round takes one timeout, not one per member (spec 3.6). No retry for
// `GET /patroni` (the leader race must not wait), one retry of transport failures for
// `POST /failsafe`, as Patroni does. Sends Basic auth and a client certificate when configured;
// verifies peers' certificates only when asked (Patroni does not without a client certificate).
// Not here: deciding anything from the answers (ha). Thread-safe: each call uses its own handles.
#pragma once

#include <optional>
#include <string>

#include "peer/peer_client.h"

namespace pghalo::peer {

struct CurlPeerOptions {
  std::optional<std::string> username, password;  // Basic auth (ctl or restapi authentication)
  std::string cacert;                              // CA to verify peers with (ctl.cacert/cafile)
  std::string certfile, keyfile, keyfile_password; // client certificate for verify_client peers
  bool insecure = true;          // do not verify the peer's certificate chain
  bool verify_hostname = false;  // Patroni checks the chain of a peer but not its host name
  std::size_t max_body_bytes = 1024 * 1024;
};

class CurlPeerClient final : public PeerClient {
 public:
  explicit CurlPeerClient(CurlPeerOptions options);

  std::vector<model::PeerStatus> fetch_status(const std::vector<PeerTarget>& targets,
                                              Duration timeout) override;
  std::vector<FailsafeReply> post_failsafe(const std::vector<PeerTarget>& targets,
                                           const nlohmann::json& body, Duration timeout) override;

  // One HTTP exchange as the client saw it.
  struct Exchange {
    std::string url;
    std::string post_body;  // empty: GET
    bool completed = false; // a response arrived (any status)
    long status = 0;
    std::string body;
    std::string error;      // transport error when not completed
  };

 private:
  // Runs every exchange at once, each bounded by `timeout`.
  void perform(std::vector<Exchange>& exchanges, Duration timeout) const;

  const CurlPeerOptions options_;
};

}  // namespace pghalo::peer
