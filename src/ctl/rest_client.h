// RestClient: the members' REST API as pghaloctl calls it (spec 5.1): the member's api_url with
// its path replaced by the endpoint, a JSON body, Basic auth and TLS from the ctl settings.
// Unlike patronictl, every call has a deadline: an agent that stopped answering costs the
// caller its timeout, never a hang.
//
// Real implementation: CurlRestClient (curl_rest_client.h). Tests use scripted fakes.
// Implementations are thread-safe: pghaloctl asks several members at once and polls them while
// a long request (POST /switchover) is in flight.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"

namespace pghalo::ctl {

struct RestRequest {
  std::string method = "GET";  // GET, POST, PATCH, DELETE
  std::string url;
  std::optional<std::string> body;  // JSON text, sent as application/json
  Duration timeout{5000};
};

struct RestResponse {
  long status = 0;
  std::string body;
};

class RestClient {
 public:
  virtual ~RestClient() = default;
  // Any HTTP status is a response. Errors: kUnavailable when the request surely did not reach
  // the member (refused, no route, TLS failure), kTimeout when no answer came within the
  // timeout (the member may have acted on it). Blocks at most request.timeout.
  virtual Result<RestResponse> send(const RestRequest& request) = 0;
};

// "http://127.0.0.1:8008/patroni" + "switchover" -> "http://127.0.0.1:8008/switchover".
std::string member_endpoint_url(const std::string& api_url, const std::string& endpoint);

}  // namespace pghalo::ctl
