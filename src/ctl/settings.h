// What pghaloctl needs from the configuration, found as patronictl finds it (spec 5.1): the
// agent's own YAML (-c FILE, $PATRONICTL_CONFIG_FILE, ~/.config/patroni/patronictl.yaml), else
// PATRONI_CONFIGURATION or the PATRONI_* variables, with --dcs-url replacing the etcd hosts.
//
// The file is read by the agent's loader (config.h), so both agree on every key and variable.
// Unlike the agent, pghaloctl accepts files that hold only what a client needs (scope and an
// etcd3 section, like the lab's patronictl.yml): keys only the agent needs (name, restapi
// addresses, the postgresql section) may be missing. Real mistakes are still refused with the
// loader's file:line:column messages.
//
// Not here: talking to etcd or members. load_settings() reads files; the rest is pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "ctl/curl_rest_client.h"

namespace pghalo::ctl {

struct GlobalOptions {
  std::string config_file;  // -c; empty: $PATRONICTL_CONFIG_FILE or the default path
  std::string dcs_url;      // -d/--dcs-url/--dcs; empty: $DCS_URL or the file's etcd section
  bool insecure = false;    // -k: do not verify the members' REST certificates
  Duration timeout{10000};  // budget of each etcd call and the default for REST calls
};

struct CtlSettings {
  std::string source;                // where the configuration came from, for messages
  std::optional<std::string> scope;  // absent: commands need the cluster name argument
  std::string namespace_ = "/service";
  config::EtcdConfig etcd;
  std::string etcd_source;  // "--dcs-url" or "the etcd3 section of <file>", for messages
  RestClientOptions rest;
  // From postgresql.authentication (or as the agent derives them), when the file has them.
  std::optional<config::PgUser> superuser, replication;
  std::string bin_dir;  // postgresql.bin_dir; empty: look in PATH and /usr/lib/postgresql
  std::optional<std::string> member_name;  // the node's own name, for a node's file
  std::vector<std::string> notices;        // worth a line on stderr (e.g. the config source)
  Duration timeout{10000};
};

// `etcd3://h1:2379,h2:2379[/namespace]`, `etcd://...` (served over v3 like the seed's etcd:
// section), `http(s)://host:port` or a bare `host:port` (default port 2379).
struct DcsUrl {
  std::vector<std::string> hosts;
  std::optional<std::string> protocol;  // set by an http/https scheme
  std::optional<std::string> namespace_;
};
Result<DcsUrl> parse_dcs_url(const std::string& text);

// Loads the configuration. `environment` is the process environment (PATRONI_*, DCS_URL,
// PATRONICTL_CONFIG_FILE, HOME). Errors are kInvalidArgument with every problem listed.
Result<CtlSettings> load_settings(const GlobalOptions& options,
                                  const std::map<std::string, std::string>& environment,
                                  const config::HostFacts& host);

// Builds the settings from a loaded configuration (exposed for tests).
CtlSettings settings_from_config(const config::Config& config, bool has_scope, bool has_name,
                                 bool insecure);

}  // namespace pghalo::ctl
