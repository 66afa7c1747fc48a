#include "config/environment.h"

#include <algorithm>
#include <initializer_list>

#include "common/strings.h"
#include "config/scalars.h"

namespace pghalo::config::internal {
namespace {

constexpr std::string_view kPrefix = "PATRONI_";

// The auth options Patroni keeps for a PostgreSQL user (config.py _AUTH_ALLOWED_PARAMETERS).
constexpr std::string_view kAuthOptions[] = {
    "username",    "password", "sslmode",   "sslcert",    "sslkey",         "sslpassword",
    "sslrootcert", "sslcrl",   "sslcrldir", "gssencmode", "channel_binding"};

// Suffixes the generic PATRONI_<SECTION>_<SUFFIX> rule recognises (Patroni 3.0.2).
constexpr std::string_view kDcsSuffixes[] = {"HOST",
                                             "HOSTS",
                                             "PORT",
                                             "USE_PROXIES",
                                             "PROTOCOL",
                                             "SRV",
                                             "SRV_SUFFIX",
                                             "URL",
                                             "PROXY",
                                             "CACERT",
                                             "CERT",
                                             "KEY",
                                             "VERIFY",
                                             "TOKEN",
                                             "CHECKS",
                                             "DC",
                                             "CONSISTENCY",
                                             "REGISTER_SERVICE",
                                             "SERVICE_CHECK_INTERVAL",
                                             "SERVICE_CHECK_TLS_SERVER_NAME",
                                             "SERVICE_TAGS",
                                             "NAMESPACE",
                                             "CONTEXT",
                                             "USE_ENDPOINTS",
                                             "SCOPE_LABEL",
                                             "ROLE_LABEL",
                                             "POD_IP",
                                             "PORTS",
                                             "LABELS",
                                             "BYPASS_API_SERVICE",
                                             "RETRIABLE_HTTP_CODES",
                                             "KEY_PASSWORD",
                                             "USE_SSL",
                                             "SET_ACLS",
                                             "GROUP",
                                             "DATABASE"};

constexpr std::string_view kListSuffixes[] = {"HOSTS", "PORTS", "CHECKS", "SERVICE_TAGS",
                                              "RETRIABLE_HTTP_CODES"};

template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

std::string upper(std::string_view s) { return to_upper(s); }

enum class Shape { kString, kList, kMap };

class EnvironmentReader {
 public:
  EnvironmentReader(const std::map<std::string, std::string>& environment,
                    std::vector<Diagnostic>* diagnostics)
      : diagnostics_(diagnostics) {
    for (const auto& [name, value] : environment) {
      if (name.rfind(kPrefix, 0) == 0) vars_[name] = value;
    }
    root_ = make_map(Origin{});
  }

  // Removes and returns PATRONI_<NAME>; empty values count as unset.
  std::optional<std::string> pop(const std::string& name) {
    return pop_exact(std::string(kPrefix) + upper(name));
  }

  std::optional<std::string> pop_exact(const std::string& variable) {
    auto it = vars_.find(variable);
    if (it == vars_.end()) return std::nullopt;
    std::string value = it->second;
    vars_.erase(it);
    if (value.empty()) return std::nullopt;
    return value;
  }

  // Sets root[path...] from the variable, shaped as a string, a list or a map.
  void set(const std::vector<std::string>& path, const std::string& variable,
           const std::string& value, Shape shape = Shape::kString) {
    Origin origin{"", 0, 0, variable};
    std::optional<Node> node = shaped(value, origin, shape);
    if (!node) return;
    Node* parent = &root_;
    auto last = std::prev(path.end());
    for (auto it = path.begin(); it != last; ++it) {
      Entry* child = parent->find(*it);
      if (child == nullptr || !child->value.is_map()) {
        child = &parent->set(*it, make_map(origin), origin);
      }
      parent = &child->value;
    }
    parent->set(*last, std::move(*node), origin);
  }

  void section_values(const std::string& section, std::initializer_list<const char*> keys,
                      std::initializer_list<const char*> lists = {},
                      std::initializer_list<const char*> maps = {}) {
    for (const char* key : keys) {
      std::string name = section + "_" + key;
      auto value = pop(name);
      if (!value) continue;
      Shape shape = Shape::kString;
      for (const char* l : lists) shape = std::string_view(l) == key ? Shape::kList : shape;
      for (const char* m : maps) shape = std::string_view(m) == key ? Shape::kMap : shape;
      set({section, key}, std::string(kPrefix) + upper(name), *value, shape);
    }
  }

  void user_auth(const std::string& who, const std::vector<std::string>& prefix, bool all_options) {
    for (std::string_view option : kAuthOptions) {
      if (!all_options && option != "username" && option != "password") break;
      std::string name = who + "_" + std::string(option);
      auto value = pop(name);
      if (!value) continue;
      std::vector<std::string> path = prefix;
      path.emplace_back(option);
      set(path, std::string(kPrefix) + upper(name), *value);
    }
  }

  void generic_dcs_values() {
    for (const auto& [variable, section, suffix] : remaining(false)) {
      if (!contains(kDcsSuffixes, suffix)) continue;
      std::string value = vars_[variable];
      vars_.erase(variable);
      if (section == "CITUS" && suffix != "GROUP" && suffix != "DATABASE") continue;
      if (value.empty()) continue;
      Shape shape = contains(kListSuffixes, suffix) ? Shape::kList : Shape::kString;
      if (suffix == "LABELS" || suffix == "SET_ACLS") shape = Shape::kMap;
      set({to_lower(section), to_lower(suffix)}, variable, value, shape);
    }
  }

  void bootstrap_users() {
    for (const auto& [variable, user, suffix] : remaining(true)) {
      if (suffix != "PASSWORD" || vars_.count(variable) == 0) continue;
      auto password = pop_exact(variable);
      if (!password) continue;
      set({"bootstrap", "users", user, "password"}, variable, *password);
      std::string options_variable = std::string(kPrefix) + user + "_OPTIONS";
      if (auto options = pop_exact(options_variable)) {
        set({"bootstrap", "users", user, "options"}, options_variable, *options, Shape::kList);
      }
    }
  }

  bool has_section(const std::string& section) const { return root_.find(section) != nullptr; }
  Node take() { return std::move(root_); }

 private:
  struct Split {
    std::string variable;
    std::string head;  // PATRONI_<head>_<tail>
    std::string tail;
  };

  // The variables not consumed yet, split at their first (or last) underscore after PATRONI_.
  std::vector<Split> remaining(bool at_last_underscore) const {
    std::vector<Split> out;
    for (const auto& [variable, value] : vars_) {
      std::string rest = variable.substr(kPrefix.size());
      std::size_t underscore = at_last_underscore ? rest.rfind('_') : rest.find('_');
      if (underscore == std::string::npos || underscore == 0) continue;
      out.push_back(Split{variable, rest.substr(0, underscore), rest.substr(underscore + 1)});
    }
    return out;
  }

  std::optional<Node> shaped(const std::string& value, const Origin& origin, Shape shape) {
    if (shape == Shape::kString) return make_scalar(value, false, origin);
    std::string text = value;
    std::string_view t = trim(value);
    if (shape == Shape::kList && !(t.rfind('-', 0) == 0 || t.find('[') != std::string::npos)) {
      text = "[" + value + "]";
    }
    if (shape == Shape::kMap && t.rfind('{', 0) != 0) text = "{" + value + "}";
    std::vector<Diagnostic> problems;
    std::optional<Node> node = parse_yaml_value(text, "", &problems);
    if (!node) {
      diagnostics_->push_back(make_diagnostic(
          Diagnostic::Severity::kError, origin, "",
          std::string("cannot read the value as a ") + (shape == Shape::kList ? "list" : "map") +
              (problems.empty() ? "" : ": " + problems.front().message)));
      return std::nullopt;
    }
    restamp(&*node, origin);
    return node;
  }

  static void restamp(Node* node, const Origin& origin) {
    node->origin = origin;
    for (auto& item : node->items) restamp(&item, origin);
    for (auto& entry : node->entries) {
      entry.key_origin = origin;
      restamp(&entry.value, origin);
    }
  }

  std::map<std::string, std::string> vars_;
  Node root_;
  std::vector<Diagnostic>* diagnostics_;
};

}  // namespace

Node environment_tree(const std::map<std::string, std::string>& environment,
                      std::vector<Diagnostic>* diagnostics) {
  EnvironmentReader env(environment, diagnostics);
  for (const char* key : {"name", "namespace", "scope"}) {
    if (auto value = env.pop(key)) env.set({key}, "PATRONI_" + upper(key), *value);
  }
  // Legacy spellings fill the new names only when those are not set.
  for (auto [now, old] : {std::pair{"LOG_LEVEL", "LOGLEVEL"}, std::pair{"LOG_FORMAT", "LOGFORMAT"},
                          std::pair{"LOG_DATEFORMAT", "LOG_DATEFMT"}}) {
    std::string current = std::string(kPrefix) + now;
    if (auto value = env.pop(old); value && !environment.count(current)) {
      env.set({"log", to_lower(std::string(now).substr(4))}, std::string(kPrefix) + old, *value);
    }
  }
  env.section_values("restapi",
                     {"listen", "connect_address", "certfile", "keyfile", "keyfile_password",
                      "cafile", "ciphers", "verify_client", "http_extra_headers",
                      "https_extra_headers", "allowlist", "allowlist_include_members"},
                     {"allowlist"}, {"http_extra_headers", "https_extra_headers"});
  env.section_values("ctl", {"insecure", "cacert", "certfile", "keyfile", "keyfile_password"});
  env.section_values("postgresql", {"listen", "connect_address", "proxy_address", "config_dir",
                                    "data_dir", "pgpass", "bin_dir"});
  env.section_values("log",
                     {"level", "traceback_level", "format", "dateformat", "max_queue_size", "dir",
                      "file_size", "file_num", "loggers"},
                     {}, {"loggers"});
  env.section_values("raft", {"data_dir", "self_addr", "partner_addrs", "password", "bind_addr"},
                     {"partner_addrs"});
  env.user_auth("restapi", {"restapi", "authentication"}, false);
  for (const char* who : {"replication", "superuser", "rewind"}) {
    env.user_auth(who, {"postgresql", "authentication", who}, true);
  }
  env.generic_dcs_values();
  for (const char* dcs : {"etcd", "etcd3"}) {
    if (env.has_section(dcs)) env.user_auth(dcs, {dcs}, false);
  }
  env.bootstrap_users();
  return env.take();
}

}  // namespace pghalo::config::internal
