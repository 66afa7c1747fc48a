#include "api/access.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include "common/strings.h"

namespace pghalo::api {
namespace {

std::array<std::uint8_t, 16> mapped_v4(const in_addr& v4) {
  std::array<std::uint8_t, 16> out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::memcpy(out.data() + 12, &v4, 4);
  return out;
}

IpNetwork single_address(const std::array<std::uint8_t, 16>& ip) { return IpNetwork{ip, 128}; }

// The host of an api_url such as "https://10.0.0.1:8008/patroni" or "http://[::1]:8008/patroni".
std::string url_host(const std::string& url) {
  std::size_t scheme = url.find("://");
  std::string_view rest = std::string_view(url).substr(scheme == std::string::npos ? 0 : scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

}  // namespace

bool IpNetwork::contains(const std::array<std::uint8_t, 16>& ip) const {
  int bits = prefix_bits;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
  std::string s(trim(text));
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return mapped_v4(v4);
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::array<std::uint8_t, 16> out{};
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<IpNetwork> parse_network(std::string_view text) {
  text = trim(text);
  std::size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  IpNetwork net{*ip, 128};
  if (slash != std::string_view::npos) {
    auto bits = parse_int64(text.substr(slash + 1));
    if (!bits || *bits < 0 || *bits > (v4 ? 32 : 128)) return std::nullopt;
    net.prefix_bits = static_cast<int>(*bits) + (v4 ? 96 : 0);
  }
  return net;
}

std::vector<IpNetwork> resolve_host(const std::string& host) {
  std::vector<IpNetwork> out;
  if (auto ip = parse_ip(host)) {
    out.push_back(single_address(*ip));
    return out;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return out;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      out.push_back(single_address(mapped_v4(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)));
    } else if (ai->ai_family == AF_INET6) {
      std::array<std::uint8_t, 16> ip{};
      std::memcpy(ip.data(), &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
      out.push_back(single_address(ip));
    }
  }
  freeaddrinfo(found);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

AccessPolicy::AccessPolicy(const AccessOptions& options)
    : has_allowlist_(!options.allowlist.empty()),
      include_members_(options.allowlist_include_members),
      require_client_certificate_(options.tls && (options.verify_client == "required" ||
                                                  options.verify_client == "optional")) {
  for (const auto& entry : options.allowlist) {
    if (entry.find('/') != std::string::npos) {
      if (auto net = parse_network(entry)) {
        allowlist_.push_back(*net);
      } else {
        warnings_.push_back("allowlist entry '" + entry + "' is not a valid network");
      }
      continue;
    }
    auto resolved = resolve_host(entry);
    if (resolved.empty()) warnings_.push_back("allowlist entry '" + entry + "' does not resolve");
    allowlist_.insert(allowlist_.end(), resolved.begin(), resolved.end());
  }
  if (options.username || options.password) {
    expected_authorization_ =
        base64_encode(options.username.value_or("") + ":" + options.password.value_or(""));
  }
}

bool AccessPolicy::allowed_address(const std::string& client_ip,
                                   const model::ClusterState* cluster) const {
  auto ip = parse_ip(client_ip);
  if (!ip) return false;
  for (const auto& net : allowlist_) {
    if (net.contains(*ip)) return true;
  }
  if (include_members_ && cluster != nullptr) {
    for (const auto& [name, member] : cluster->members) {
      if (member.api_url.empty()) continue;
      for (const auto& net : resolve_host(url_host(member.api_url))) {
        if (net.contains(*ip)) return true;
      }
    }
  }
  return false;
}

std::optional<Response> AccessPolicy::check(const Request& request,
                                            const model::ClusterState* cluster) const {
  if ((has_allowlist_ || include_members_) && !allowed_address(request.client_ip, cluster)) {
    return text_response(403, "Access is denied");
  }
  if (require_client_certificate_ && !request.client_certificate) {
    return text_response(403, "client certificate required");
  }
  if (!expected_authorization_) return std::nullopt;
  auto header = request.header("authorization");
  std::string_view reason;
  if (!header) {
    reason = "no auth header received";
  } else if (header->substr(0, 6) != "Basic " ||
             !constant_time_equal(trim(header->substr(6)), *expected_authorization_)) {
    reason = "not authenticated";
  }
  if (reason.empty()) return std::nullopt;
  Response denied = text_response(401, std::string(reason));
  denied.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Patroni\"");
  return denied;
}

}  // namespace pghalo::api
