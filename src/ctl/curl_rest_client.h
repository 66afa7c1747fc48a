// CurlRestClient: RestClient over libcurl, one easy handle per request (pghaloctl makes a few
// dozen requests at most, so connection reuse is not worth a pool). Basic auth from
// ctl.authentication or restapi.authentication; TLS as patronictl sets it up: the CA from
// ctl.cacert or restapi.cafile, a client certificate from ctl.certfile/keyfile (falling back to
// restapi's), and server certificates verified unless --insecure/ctl.insecure.
//
// Thread-safe: requests share nothing but the immutable options.
#pragma once

#include <optional>
#include <string>

#include "ctl/rest_client.h"

namespace pghalo::ctl {

struct RestClientOptions {
  std::optional<std::string> username, password;
  std::string cacert;  // empty: the system's CAs
  std::string certfile, keyfile, keyfile_password;
  bool insecure = false;  // do not verify the server's certificate
  Duration connect_timeout{2000};
};

class CurlRestClient final : public RestClient {
 public:
  explicit CurlRestClient(RestClientOptions options);
  Result<RestResponse> send(const RestRequest& request) override;

 private:
  const RestClientOptions options_;
};

}  // namespace pghalo::ctl
