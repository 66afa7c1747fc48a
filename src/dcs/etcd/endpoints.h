// EndpointList: which etcd member to ask next and how long each attempt may take (spec 1.7).
// Sticky: the endpoint that answered last is asked first. Failures move to the next one.
// Per-request budget: retry_timeout split across endpoints (each gets retry_timeout/N, at least
// 1 s, dropping endpoints if needed), then into tries while each keeps a second: 1 endpoint ->
// up to 3 tries, 2 -> up to 2 each, >= 3 -> one each. Connect timeout = max(1 s, try/2).
// Pure bookkeeping, no I/O. Not thread-safe: GatewayClient guards it with its mutex.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"

namespace pghalo::dcs::etcd {

struct Attempt {
  std::string url;  // "https://127.0.0.1:2379"
  Duration timeout{0};
  Duration connect_timeout{0};
};

class EndpointList {
 public:
  // `urls` must not be empty; they are kept in the given order.
  explicit EndpointList(std::vector<std::string> urls);

  // The attempts for one request with `budget` left, starting at the current endpoint.
  std::vector<Attempt> plan(Duration budget) const;
  // The endpoint answered: make it current (sticky).
  void succeeded(const std::string& url);
  // The endpoint failed: move on if it is still current.
  void failed(const std::string& url);

  // Replaces the list (discovery). The current endpoint stays current when still listed.
  void replace(std::vector<std::string> urls, Random& random);
  const std::vector<std::string>& urls() const { return urls_; }
  const std::string& current() const { return urls_[current_]; }

 private:
  std::vector<std::string> urls_;
  std::size_t current_ = 0;
};

// "127.0.0.1:2379" -> "http://127.0.0.1:2379" (or https); a URL is kept (trailing '/' dropped).
std::string endpoint_url(const std::string& host_port, const std::string& protocol);

}  // namespace pghalo::dcs::etcd
