// Access control for the REST API's unsafe methods (spec 3.1): the allowlist (CIDRs, addresses,
// host names, optionally the hosts of every member's api_url), the TLS client certificate rule,
// and HTTP Basic authentication compared in constant time. GET endpoints are never checked here
// (only TLS verify_client: required applies to them, in the handshake).
// Construction may resolve host names (blocking DNS); check() resolves member host names only
// when allowlist_include_members is on, so it runs on worker threads, never on the I/O loop.
// Immutable after construction; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "model/cluster.h"

namespace pghalo::api {

// An IPv4 or IPv6 network; IPv4 is kept as IPv4-mapped IPv6 so both compare the same way.
struct IpNetwork {
  std::array<std::uint8_t, 16> address{};
  int prefix_bits = 128;

  bool contains(const std::array<std::uint8_t, 16>& ip) const;
};

// "10.0.0.0/8", "2001:db8::/32", "10.1.2.3" (a /32), "::1"; nullopt when not an address.
std::optional<IpNetwork> parse_network(std::string_view text);
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);

struct AccessOptions {
  std::vector<std::string> allowlist;  // CIDRs, addresses or host names
  bool allowlist_include_members = false;
  std::optional<std::string> username, password;  // restapi.authentication
  bool tls = false;
  std::string verify_client = "none";  // none | optional | required
};

class AccessPolicy {
 public:
  AccessPolicy() = default;
  explicit AccessPolicy(const AccessOptions& options);

  // nullopt: allowed. Otherwise the 401/403 answer to send (with WWW-Authenticate on 401).
  // `cluster` (may be null) supplies member api_urls for allowlist_include_members.
  std::optional<Response> check(const Request& request, const model::ClusterState* cluster) const;

  // Problems met while building the allowlist ("allowlist entry 'x': ..."), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  bool allowed_address(const std::string& client_ip, const model::ClusterState* cluster) const;

  std::vector<IpNetwork> allowlist_;
  bool has_allowlist_ = false;
  bool include_members_ = false;
  bool require_client_certificate_ = false;
  std::optional<std::string> expected_authorization_;  // base64("user:password")
  std::vector<std::string> warnings_;
};

// Resolves a host name or literal address to networks of one address each (blocking DNS).
std::vector<IpNetwork> resolve_host(const std::string& host);

// Compares without an early exit, so the time taken does not reveal a matching prefix.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pghalo::api
