// The etcd3 section (spec 1.7, 1.9, 4.2), and Patroni's v2 `etcd:` section served over v3.
#include <cstdint>

#include "common/strings.h"
#include "config/scalars.h"
#include "config/sections.h"

namespace pghalo::config::internal {
namespace {

constexpr int kDefaultEtcdPort = 2379;

// "https://user:secret@etcd1:2379/ignored" -> protocol, host:port, credentials.
bool read_url(const Section& s, std::string_view key, EtcdConfig* out) {
  std::string url;
  if (!s.read(key, &url)) return false;
  std::string_view rest = trim(url);
  std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    out->protocol = to_lower(rest.substr(0, scheme_end));
    rest.remove_prefix(scheme_end + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    std::size_t colon = credentials.find(':');
    out->username = std::string(credentials.substr(0, colon));
    if (colon != std::string_view::npos) out->password = std::string(credentials.substr(colon + 1));
    rest.remove_prefix(at + 1);
  }
  std::string problem;
  auto endpoint = split_host_port(rest, kDefaultEtcdPort, &problem);
  if (!endpoint || endpoint->host.empty()) {
    s.report(Severity::kError, key, quote_value(url) + " " + (endpoint ? "has no host" : problem));
    return true;
  }
  out->hosts = {join_host_port(endpoint->host, endpoint->port)};
  return true;
}

// One "host[:port]" endpoint of hosts/host, with `port` as the default port.
bool add_endpoint(const Section& s, std::string_view key, std::string_view text, int port,
                  EtcdConfig* out) {
  std::string_view entry = trim(text);
  std::string problem;
  if (entry.find("://") != std::string_view::npos) {
    problem = "must be host:port without a scheme (set protocol: https instead)";
  } else if (auto endpoint = split_host_port(entry, port, &problem); endpoint) {
    if (!endpoint->host.empty()) {
      out->hosts.push_back(join_host_port(endpoint->host, endpoint->port));
      return true;
    }
    problem = "has no host";
  }
  s.report(Severity::kError, key, quote_value(entry) + " " + problem);
  return false;
}

void read_endpoints(const Section& s, EtcdConfig* out) {
  int port = kDefaultEtcdPort;
  s.read("port", &port, 1, 65535);
  if (s.has("proxy")) {
    // A proxy is a single URL that must not be replaced by the cluster's member list.
    read_url(s, "proxy", out);
    out->use_proxies = true;
    return;
  }
  if (read_url(s, "url", out)) return;
  std::vector<std::string> hosts;
  if (s.read("hosts", &hosts, true)) {
    for (const auto& host : hosts) add_endpoint(s, "hosts", host, port, out);
    if (hosts.empty()) s.report(Severity::kError, "hosts", "lists no endpoint");
    return;
  }
  std::string host;
  if (s.read("host", &host)) {
    add_endpoint(s, "host", host, port, out);
    return;
  }
  if (!s.has("hosts") && !s.has("host")) {
    std::string why = s.has("srv") ? " (DNS SRV discovery is not implemented)" : "";
    s.report(Severity::kError, "",
             "has no endpoint pghalo can use" + why +
                 ": set hosts (a list of host:port), host "
                 "or url");
  }
}

}  // namespace

void read_etcd(const Section& root, EtcdConfig* out) {
  bool has_v3 = root.has("etcd3");
  bool has_v2 = root.has("etcd");
  if (!has_v3 && !has_v2) {
    root.report_missing("etcd3",
                        ": pghalo keeps the cluster state in etcd v3 (for example etcd3: "
                        "{hosts: etcd1:2379})");
    return;
  }
  if (has_v3 && has_v2) {
    root.section("etcd").report(
        Severity::kWarning, "",
        "both etcd (v2 API) and etcd3 are present: pghalo uses etcd3. Patroni 3.0.2 would use "
        "etcd, whose name sorts first, so Patroni nodes given this file would not see pghalo's "
        "keys; remove the etcd section");
  }
  Section s = root.section(has_v3 ? "etcd3" : "etcd");
  if (!has_v3) {
    out->from_v2_section = true;
    s.report(Severity::kNotice, "",
             "Patroni reads this section with the etcd v2 API, which etcd 3.4/3.5 disable by "
             "default and 3.6 removed; pghalo serves it with the v3 API. Every member must use "
             "v3 (Patroni nodes: rename the section to etcd3), or they will not see each other");
  }
  if (s.read("protocol", &out->protocol)) out->protocol = to_lower(out->protocol);
  read_endpoints(s, out);
  if (out->protocol != "http" && out->protocol != "https") {
    s.report(Severity::kError, "protocol",
             "must be http or https, got " + quote_value(out->protocol));
  }
  s.read("use_proxies", &out->use_proxies);
  s.read("cacert", &out->cacert);
  s.read("cert", &out->cert);
  s.read("key", &out->key);
  s.read("cert_key_password", &out->cert_key_password);
  s.read("username", &out->username);
  s.read("password", &out->password);
}

}  // namespace pghalo::config::internal
