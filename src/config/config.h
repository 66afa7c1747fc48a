// Patroni's YAML configuration (spec section 4) as typed structs, and the rules that turn a file,
// the PATRONI_* environment and the dynamic `/config` from etcd into the effective configuration.
//
// Not here: reading etcd (dcs), rendering postgresql.conf (pg). Parsing is pure: what it needs
// from the machine (the OS user, whether bin_dir exists) comes in through HostFacts, and only
// load_local_config()/validate_config_command() read files and the process environment.
// docs/configuration.md describes every key. Thread-safe as values.
#pragma once

#include <functional>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/member.h"

namespace pghalo::config {

// A problem found while loading: where it is and what is wrong.
struct Diagnostic {
  enum class Severity { kNotice, kWarning, kError };
  Severity severity = Severity::kError;
  std::string file;  // empty for environment/etcd sources
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string key;   // dotted path, e.g. "bootstrap.dcs.ttl"
  std::string message;

  // "postgresql-node1.yml:14:5: bootstrap.dcs.ttl: must be at least loop_wait (10)"
  std::string to_string() const;
};

std::string_view severity_name(Diagnostic::Severity severity);  // "notice", "warning", "error"

// Compiler style, with the severity after the location:
// "postgresql-node1.yml:14:5: error: bootstrap.dcs.ttl: must be at least loop_wait (10)".
std::string format_diagnostic(const Diagnostic& diagnostic);

struct BasicAuth {
  std::string username;
  std::string password;
};

// One `postgresql.authentication.<who>` entry: username/password plus libpq SSL options.
struct PgUser {
  std::string username;
  std::optional<std::string> password;
  std::map<std::string, std::string> options;  // sslmode, sslcert, ..., channel_binding
};

struct EtcdConfig {
  std::vector<std::string> hosts;  // "host:port" (default port 2379), from host/hosts/url
  std::string protocol = "http";   // http | https
  std::optional<std::string> cacert, cert, key, cert_key_password;
  std::optional<std::string> username, password;
  bool use_proxies = false;
  // The section was `etcd:` (Patroni's v2 client). pghalo serves it with the v3 API.
  bool from_v2_section = false;
};

struct RestApiConfig {
  std::string listen;           // host:port
  std::string connect_address;  // host:port, advertised in api_url
  std::optional<BasicAuth> authentication;
  std::optional<std::string> certfile, keyfile, keyfile_password, cafile, ciphers;
  std::string verify_client = "none";  // none | optional | required
  std::vector<std::string> allowlist;
  bool allowlist_include_members = false;
  std::map<std::string, std::string> http_extra_headers, https_extra_headers;
};

struct CtlConfig {
  bool insecure = false;
  std::optional<std::string> cacert, certfile, keyfile, keyfile_password;
  std::optional<BasicAuth> authentication;
};

struct Callbacks {
  std::optional<std::string> on_start, on_stop, on_restart, on_reload, on_role_change;
};

struct PostgresqlConfig {
  std::string listen;           // "host[,host2]:port"
  std::string connect_address;  // host:port
  std::optional<std::string> proxy_address;
  std::string data_dir;
  std::string config_dir;  // defaults to data_dir
  std::string bin_dir;     // empty: use PATH
  std::string pgpass;      // defaults to ~/pgpass of the OS user (Patroni's default, no dot)
  PgUser superuser;
  PgUser replication;
  std::optional<PgUser> rewind;
  // Where the two users above came from, for the log and docs ("configured", "derived").
  bool authentication_derived = false;
  // GUCs as strings (YAML scalars normalised: true -> "on", 8 -> "8").
  std::map<std::string, std::string> parameters;
  std::optional<std::vector<std::string>> pg_hba;  // replaces pg_hba.conf when set
  std::optional<std::vector<std::string>> pg_ident;
  Callbacks callbacks;
  std::vector<std::string> create_replica_methods = {"basebackup"};
  std::vector<std::string> basebackup_options;  // "--max-rate=100M", "--checkpoint=fast"
  int pg_ctl_timeout = 60;
  bool use_pg_rewind = false;
  bool remove_data_directory_on_rewind_failure = false;
  bool remove_data_directory_on_diverged_timelines = false;
  bool use_unix_socket = false;
  bool use_unix_socket_repl = false;
  std::optional<std::string> pre_promote, before_stop;
  std::map<std::string, std::string> recovery_conf;
  std::optional<std::string> custom_conf;
  std::string database = "postgres";
};

struct BootstrapUser {
  std::string password;
  std::vector<std::string> options;  // "replication", "createdb", ...
};

struct BootstrapConfig {
  nlohmann::json dcs = nlohmann::json::object();  // verbatim: seeds `/config`
  std::string method = "initdb";
  std::vector<std::string> initdb_args;  // "--encoding=UTF8", "--data-checksums"
  std::vector<std::string> pg_hba;       // appended to initdb's pg_hba.conf
  std::map<std::string, BootstrapUser> users;
  std::optional<std::string> post_bootstrap;
};

struct WatchdogConfig {
  std::string mode = "automatic";  // off | automatic | required
  std::string device = "/dev/watchdog";
  int safety_margin = 5;
};

struct LogConfig {
  std::string level = "INFO";
  std::string format = "text";  // text | json (pghalo also accepts Patroni's `type: json`)
};

// The effective dynamic configuration (spec 4.3), typed, with defaults applied.
struct DynamicConfig {
  int ttl = 30;
  int loop_wait = 10;
  int retry_timeout = 10;
  long long maximum_lag_on_failover = 1048576;
  long long maximum_lag_on_syncnode = -1;
  bool check_timeline = false;
  int max_timelines_history = 0;
  int primary_start_timeout = 300;
  int primary_stop_timeout = 0;
  bool synchronous_mode = false;
  bool synchronous_mode_strict = false;
  int synchronous_node_count = 1;
  bool failsafe_mode = false;
  bool pause = false;
  bool use_slots = true;       // postgresql.use_slots
  bool use_pg_rewind = false;  // postgresql.use_pg_rewind (dynamic overrides local)
  bool remove_data_directory_on_rewind_failure = false;
  bool remove_data_directory_on_diverged_timelines = false;
  std::map<std::string, std::string> parameters;  // postgresql.parameters from /config
  std::optional<std::vector<std::string>> pg_hba;
  std::optional<std::vector<std::string>> pg_ident;
  std::map<std::string, std::string> recovery_conf;  // postgresql.recovery_conf from /config
  nlohmann::json slots = nullptr;                    // permanent slots, raw
  nlohmann::json ignore_slots = nullptr;             // raw
  nlohmann::json standby_cluster = nullptr;
  nlohmann::json raw = nlohmann::json::object();  // what was stored
};

struct Config {
  std::string source;  // file path or "PATRONI_CONFIGURATION"
  std::string name;
  std::string scope;
  std::string namespace_ = "/service";
  RestApiConfig restapi;
  EtcdConfig etcd;
  CtlConfig ctl;
  BootstrapConfig bootstrap;
  bool has_bootstrap_section = false;
  PostgresqlConfig postgresql;
  model::Tags tags;
  // The `tags:` section as written (false booleans included): REST tag filters match it.
  nlohmann::json tags_raw = nullptr;
  WatchdogConfig watchdog;
  LogConfig log;
  // Role vocabulary written to etcd and REST: "master" (Patroni 3.0.2, default) or "primary".
  model::RoleVocabulary role_vocabulary = model::RoleVocabulary::kMaster;
  // Where the fencing deadline outlives the agent process (agent/fence_file.h); empty: beside
  // the data directory, `<data_dir>.pghalo-fence`.
  std::string fence_file;

  // /<namespace>/<scope>, runs of '/' collapsed (spec 1.1).
  std::string base_path() const;
};

struct LoadResult {
  std::optional<Config> config;  // nullopt when any diagnostic is an error
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return config.has_value(); }
};

// What loading asks of the machine. Tests pass fakes so results do not depend on the host.
struct HostFacts {
  std::string os_user = "postgres";              // effective user: the derived superuser (docs)
  std::string home_dir = "/var/lib/postgresql";  // for the default pgpass path
  std::function<bool(const std::string& path)> is_directory;
  std::function<bool(const std::string& path)> is_executable_file;

  // The real machine: geteuid()'s user name and home, stat(2), access(2).
  static HostFacts current();
};

// Parses YAML text (one document) as a Patroni config file named `file_name` (for messages).
// `environment` holds PATRONI_* variables to merge over it (spec 4.4).
LoadResult parse_local_config(const std::string& yaml_text, const std::string& file_name,
                              const std::map<std::string, std::string>& environment = {});
LoadResult parse_local_config(const std::string& yaml_text, const std::string& file_name,
                              const std::map<std::string, std::string>& environment,
                              const HostFacts& host);

// Reads `path` (a file, or a directory of *.yml/*.yaml merged in sorted order) or, when empty,
// PATRONI_CONFIGURATION / PATRONI_* from the process environment.
LoadResult load_local_config(const std::string& path);
LoadResult load_local_config(const std::string& path,
                             const std::map<std::string, std::string>& environment,
                             const HostFacts& host);

// The PATRONI_* variables of this process.
std::map<std::string, std::string> patroni_environment();
// Removes them from the process environment once loaded, as Patroni does, so that children
// (PostgreSQL, callbacks) do not inherit passwords. For main() only: not thread-safe.
void clear_patroni_environment();

// `pghalo --validate-config PATH`: loads PATH like load_local_config(), prints every diagnostic
// with its severity and a summary line to `out`, and returns 1 when there is an error, else 0.
int validate_config_command(const std::string& path, std::ostream& out);
int validate_config_command(const std::string& path, std::ostream& out,
                            const std::map<std::string, std::string>& environment,
                            const HostFacts& host);

// Types a dynamic configuration object from `/config` (or bootstrap.dcs). Bad values are
// reported as warnings and replaced by defaults; never fails. Applies the timing safety rule
// loop_wait + 2*retry_timeout <= ttl by lowering retry_timeout to (ttl - loop_wait) / 2 (with a
// warning naming the rule), without rewriting the stored value (`raw` keeps it). Diagnostic keys
// are relative to `/config` ("retry_timeout", "postgresql.parameters.max_connections").
DynamicConfig parse_dynamic_config(const nlohmann::json& object,
                                   std::vector<Diagnostic>* diagnostics);

// The PostgreSQL parameters to run with: built-in defaults, dynamic `/config`, then local
// `postgresql.parameters` (command-line-only GUCs from the local file are ignored, spec 4.1),
// with wal_keep_segments rewritten as wal_keep_size on PostgreSQL 13+ (`major_version` e.g. 15;
// a server_version_num such as 90600 is also understood, for 9.x). Also sets listen_addresses,
// port and cluster_name, renames wal_level hot_standby/replica per version and forces
// hot_standby and wal_log_hints on, as Patroni does. Pure: reports nothing (dropped values were
// reported by parse_dynamic_config).
std::map<std::string, std::string> effective_parameters(const Config& local,
                                                        const DynamicConfig& dynamic,
                                                        int major_version);

}  // namespace pghalo::config
