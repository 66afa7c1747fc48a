#include "ctl/settings.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/strings.h"

namespace pghalo::ctl {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

// Keys only the agent needs, and the variables that stand in for them when a client's file
// lacks them. The values are never used: the client does not listen or run PostgreSQL.
struct Placeholder {
  const char* key;
  std::vector<std::pair<const char*, const char*>> variables;
};
const Placeholder kPlaceholders[] = {
    {"name", {{"PATRONI_NAME", "pghaloctl"}}},
    {"scope", {{"PATRONI_SCOPE", "pghaloctl-no-scope"}}},
    {"restapi",
     {{"PATRONI_RESTAPI_LISTEN", "127.0.0.1:8008"},
      {"PATRONI_RESTAPI_CONNECT_ADDRESS", "127.0.0.1:8008"}}},
    {"restapi.listen", {{"PATRONI_RESTAPI_LISTEN", "127.0.0.1:8008"}}},
    {"restapi.connect_address", {{"PATRONI_RESTAPI_CONNECT_ADDRESS", "127.0.0.1:8008"}}},
    {"postgresql",
     {{"PATRONI_POSTGRESQL_LISTEN", "127.0.0.1:5432"},
      {"PATRONI_POSTGRESQL_CONNECT_ADDRESS", "127.0.0.1:5432"},
      {"PATRONI_POSTGRESQL_DATA_DIR", "/nonexistent"}}},
    {"postgresql.listen", {{"PATRONI_POSTGRESQL_LISTEN", "127.0.0.1:5432"}}},
    {"postgresql.connect_address", {{"PATRONI_POSTGRESQL_CONNECT_ADDRESS", "127.0.0.1:5432"}}},
    {"postgresql.data_dir", {{"PATRONI_POSTGRESQL_DATA_DIR", "/nonexistent"}}},
};

const Placeholder* placeholder_for(const config::Diagnostic& d) {
  if (d.message.rfind("is required but missing", 0) != 0) return nullptr;
  for (const auto& p : kPlaceholders) {
    if (d.key == p.key) return &p;
  }
  return nullptr;
}

bool is_empty_document(const config::Diagnostic& d) {
  return d.message == "the configuration is empty";
}

std::string env_or(const Env& env, const std::string& name, const std::string& fallback = {}) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? fallback : it->second;
}

struct Source {
  std::string path;  // empty: the environment
  std::string label;
};

Result<Source> find_source(const GlobalOptions& options, const Env& env) {
  std::string path = options.config_file;
  bool explicit_path = !path.empty();
  if (path.empty()) path = env_or(env, "PATRONICTL_CONFIG_FILE");
  explicit_path = explicit_path || !path.empty();
  if (path.empty()) {
    std::string home = env_or(env, "HOME");
    if (!home.empty()) path = home + "/.config/patroni/patronictl.yaml";
  }
  std::error_code ec;
  bool exists = !path.empty() && fs::exists(path, ec);
  if (exists && ::access(path.c_str(), R_OK) != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot read the configuration file " + path +
                          " (permission denied): check the -c/--config-file option");
  }
  if (!exists && explicit_path) {
    return make_error(ErrorCode::kInvalidArgument, "the configuration file " + path +
                                                       " does not exist: check the "
                                                       "-c/--config-file option");
  }
  if (exists) return Source{path, path};
  if (!env_or(env, "PATRONI_CONFIGURATION").empty()) return Source{"", "PATRONI_CONFIGURATION"};
  return Source{"", "the PATRONI_* environment"};
}

config::LoadResult load_once(const Source& source, const Env& env, const Env& placeholders,
                             const config::HostFacts& host) {
  if (!source.path.empty()) {
    Env merged = env;
    for (const auto& [k, v] : placeholders) merged[k] = v;
    return config::load_local_config(source.path, merged, host);
  }
  auto whole = env.find("PATRONI_CONFIGURATION");
  if (whole != env.end() && !whole->second.empty()) {
    // As in Patroni, the other PATRONI_* variables do not apply to PATRONI_CONFIGURATION.
    return config::parse_local_config(whole->second, "PATRONI_CONFIGURATION", placeholders, host);
  }
  Env merged = env;
  for (const auto& [k, v] : placeholders) merged[k] = v;
  return config::load_local_config("", merged, host);
}

std::string describe(const std::vector<config::Diagnostic>& diagnostics) {
  std::vector<std::string> lines;
  for (const auto& d : diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) {
      lines.push_back(config::format_diagnostic(d));
    }
  }
  return join(lines, "\n");
}

std::string dcs_url_hosts_env(const DcsUrl& url) { return join(url.hosts, ","); }

}  // namespace

Result<DcsUrl> parse_dcs_url(const std::string& text) {
  DcsUrl out;
  std::string rest = std::string(trim(text));
  auto scheme_end = rest.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = to_lower(rest.substr(0, scheme_end));
    if (scheme == "http" || scheme == "https") {
      out.protocol = scheme;
    } else if (scheme != "etcd3" && scheme != "etcd") {
      return make_error(ErrorCode::kInvalidArgument,
                        "unsupported --dcs-url scheme '" + scheme +
                            "': pghalo keeps its state in etcd v3, use etcd3://host:port");
    }
    rest = rest.substr(scheme_end + 3);
  }
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    std::string ns = rest.substr(slash);
    if (ns.size() > 1) out.namespace_ = ns;
    rest = rest.substr(0, slash);
  }
  for (const auto& host : split(rest, ',')) {
    std::string h = std::string(trim(host));
    if (h.empty()) continue;
    bool has_port = h.front() == '[' ? h.find("]:") != std::string::npos
                                     : h.find(':') != std::string::npos;
    out.hosts.push_back(has_port ? h : h + ":2379");
  }
  if (out.hosts.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--dcs-url '" + text + "' names no etcd host (e.g. etcd3://127.0.0.1:2379)");
  }
  return out;
}

CtlSettings settings_from_config(const config::Config& config, bool has_scope, bool has_name,
                                 bool insecure) {
  CtlSettings s;
  s.source = config.source;
  if (has_scope) s.scope = config.scope;
  if (has_name) s.member_name = config.name;
  s.namespace_ = config.namespace_;
  s.etcd = config.etcd;
  const auto& ctl = config.ctl;
  const auto& api = config.restapi;
  auto auth = ctl.authentication ? ctl.authentication : api.authentication;
  if (auth) {
    s.rest.username = auth->username;
    s.rest.password = auth->password;
  }
  s.rest.cacert = ctl.cacert.value_or(api.cafile.value_or(""));
  // patronictl falls back to the REST server's own certificate as its client certificate.
  s.rest.certfile = ctl.certfile.value_or(api.certfile.value_or(""));
  s.rest.keyfile = ctl.keyfile.value_or(api.keyfile.value_or(""));
  s.rest.keyfile_password = ctl.keyfile_password.value_or(api.keyfile_password.value_or(""));
  s.rest.insecure = insecure || ctl.insecure;
  s.superuser = config.postgresql.superuser;
  s.replication = config.postgresql.replication;
  s.bin_dir = config.postgresql.bin_dir;
  return s;
}

Result<CtlSettings> load_settings(const GlobalOptions& options, const Env& environment,
                                  const config::HostFacts& host) {
  auto source = find_source(options, environment);
  if (!source.ok()) return source.error();
  std::string dcs_url_text = options.dcs_url.empty() ? env_or(environment, "DCS_URL")
                                                       : options.dcs_url;
  std::optional<DcsUrl> dcs_url;
  if (!dcs_url_text.empty()) {
    auto parsed = parse_dcs_url(dcs_url_text);
    if (!parsed.ok()) return parsed.error();
    dcs_url = *parsed;
  }
  Env placeholders;
  config::LoadResult loaded = load_once(*source, environment, placeholders, host);
  std::vector<std::string> used_for;
  if (!loaded.ok()) {
    bool empty = std::any_of(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                             is_empty_document);
    for (const auto& d : loaded.diagnostics) {
      const Placeholder* p = empty ? nullptr : placeholder_for(d);
      if (p == nullptr) continue;
      used_for.emplace_back(p->key);
      for (const auto& [name, value] : p->variables) placeholders[name] = value;
    }
    if (empty) {
      for (const char* key : {"name", "scope", "restapi", "postgresql"}) {
        used_for.emplace_back(key);
        for (const auto& p : kPlaceholders) {
          if (std::string(p.key) != key) continue;
          for (const auto& [name, value] : p.variables) placeholders[name] = value;
        }
      }
    }
    if (dcs_url) placeholders["PATRONI_ETCD3_HOSTS"] = dcs_url_hosts_env(*dcs_url);
    if (!placeholders.empty()) loaded = load_once(*source, environment, placeholders, host);
  }
  if (!loaded.ok()) {
    bool no_etcd = std::any_of(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                               [](const config::Diagnostic& d) { return d.key == "etcd3"; });
    std::string hint = no_etcd && source->path.empty()
                           ? "\nno configuration found: give -c FILE (the agent's YAML), "
                             "--dcs-url etcd3://host:port, or set PATRONI_ETCD3_HOSTS"
                           : "";
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot use the configuration from " + source->label + ":\n" +
                          describe(loaded.diagnostics) + hint);
  }
  auto has = [&](const char* key) {
    return std::find(used_for.begin(), used_for.end(), key) == used_for.end();
  };
  CtlSettings settings =
      settings_from_config(*loaded.config, has("scope"), has("name"), options.insecure);
  settings.source = source->label;
  settings.timeout = options.timeout;
  if (!has("postgresql")) settings.superuser = settings.replication = std::nullopt;
  settings.etcd_source = std::string("the ") + (settings.etcd.from_v2_section ? "etcd" : "etcd3") +
                         " section of " + source->label;
  if (dcs_url) {
    settings.etcd_source = options.dcs_url.empty() ? "$DCS_URL" : "--dcs-url";
    settings.etcd.hosts = dcs_url->hosts;
    if (dcs_url->protocol) settings.etcd.protocol = *dcs_url->protocol;
    if (dcs_url->namespace_) settings.namespace_ = *dcs_url->namespace_;
  }
  return settings;
}

}  // namespace pghalo::ctl
