// parse_local_config(): the merged document (files + PATRONI_* environment) turned into Config,
// section by section, then the checks that span sections.
#include <algorithm>

#include "common/strings.h"
#include "config/environment.h"
#include "config/known_keys.h"
#include "config/local.h"
#include "config/scalars.h"
#include "config/sections.h"

namespace pghalo::config {
namespace internal {
namespace {

void read_identity(const Section& root, Config* out) {
  // Patroni's oldest layout put the member name under postgresql.
  const Entry* legacy = find_path(*root.node(), "postgresql.name");
  if (!root.has("name") && legacy != nullptr && legacy->value.is_scalar()) {
    out->name = legacy->value.text;
  } else {
    root.require("name", &out->name);
  }
  root.require("scope", &out->scope);
  if (root.read("namespace", &out->namespace_) && trim(out->namespace_).empty()) {
    root.report(Severity::kError, "namespace", "must not be empty (the default is /service)");
  }
}

const Entry* find_parameter(const Node& root, std::string_view section, std::string_view name) {
  const Entry* parameters = find_path(root, section);
  if (parameters == nullptr || !parameters->value.is_map()) return nullptr;
  for (const auto& entry : parameters->value.entries) {
    if (to_lower(entry.key) == name) return &entry;
  }
  return nullptr;
}

// One notice, at the first place wal_keep_segments is set (spec 4.6).
void note_wal_keep_segments(const Section& root) {
  const Entry* dynamic =
      find_parameter(*root.node(), "bootstrap.dcs.postgresql.parameters", "wal_keep_segments");
  const Entry* local = find_parameter(*root.node(), "postgresql.parameters", "wal_keep_segments");
  const Entry* at = dynamic != nullptr ? dynamic : local;
  if (at == nullptr) return;
  auto segments = node_to_int(at->value);
  std::string size = segments ? std::to_string(*segments * 16) + "MB" : "segments * 16MB";
  std::string message =
      "wal_keep_segments no longer exists in PostgreSQL 13 and later: there pghalo runs with "
      "wal_keep_size = " +
      size + " instead (segments * 16MB), as Patroni does";
  if (dynamic == nullptr) {
    message += "; in the local file it is ignored anyway (only bootstrap.dcs or /config set it)";
  }
  std::string key = std::string(dynamic != nullptr ? "bootstrap.dcs.postgresql.parameters."
                                                   : "postgresql.parameters.") +
                    at->key;
  root.report_at(Severity::kNotice, at->key_origin, key, message);
}

// Debian installs each major version under /usr/lib/postgresql/<major>/bin.
std::string installed_bin_dirs(const HostFacts& host) {
  std::vector<std::string> found;
  for (int major = 10; major <= 20; ++major) {
    std::string dir = "/usr/lib/postgresql/" + std::to_string(major) + "/bin";
    if (host.is_directory && host.is_directory(dir)) found.push_back(dir);
  }
  return found.empty() ? "" : " (installed here: " + join(found, ", ") + ")";
}

void check_address_reachable(const Section& root, std::string_view section,
                             const std::string& address) {
  std::string problem;
  auto parsed = split_host_port(address, 0, &problem);
  if (!parsed || !is_loopback_or_wildcard(parsed->host)) return;
  root.section(section).report(
      Severity::kWarning, "connect_address",
      quote_value(address) +
          " is a loopback or wildcard address: other machines cannot reach this "
          "member through it. Patroni's --validate-config refuses it; pghalo accepts it for "
          "single-machine labs");
}

bool has_error(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

}  // namespace

void check_host(const Section& root, const HostFacts& host, const Config& config) {
  const std::string& bin_dir = config.postgresql.bin_dir;
  Section pg = root.section("postgresql");
  if (!bin_dir.empty() && host.is_directory && !host.is_directory(bin_dir)) {
    pg.report(Severity::kWarning, "bin_dir",
              "directory " + bin_dir +
                  " does not exist: PostgreSQL cannot be started or cloned "
                  "until bin_dir names an installed version" +
                  installed_bin_dirs(host));
  } else if (!bin_dir.empty() && host.is_executable_file &&
             !host.is_executable_file(bin_dir + "/pg_ctl")) {
    pg.report(Severity::kWarning, "bin_dir",
              bin_dir + " has no executable pg_ctl" + installed_bin_dirs(host));
  }
  check_address_reachable(root, "restapi", config.restapi.connect_address);
  check_address_reachable(root, "postgresql", config.postgresql.connect_address);
}

LoadResult build_config(const Node& document, std::string source, const HostFacts& host,
                        std::vector<Diagnostic> diagnostics) {
  LoadResult result;
  if (document.entries.empty()) {
    diagnostics.push_back(
        make_diagnostic(Severity::kError, document.origin, "", "the configuration is empty"));
    result.diagnostics = std::move(diagnostics);
    return result;
  }
  check_keys(document, &diagnostics);
  Section root = root_section(document, &diagnostics);
  Config config;
  config.source = std::move(source);
  read_identity(root, &config);
  read_restapi(root, &config.restapi);
  read_ctl(root, &config.ctl);
  read_etcd(root, &config.etcd);
  read_bootstrap(root, &config);
  read_postgresql(root, host, &config);
  derive_authentication(root, host, &config);
  read_tags(root, &config.tags, &config.tags_raw);
  read_watchdog(root, &config.watchdog);
  read_log(root, &config.log);
  read_pghalo(root, &config);
  note_wal_keep_segments(root);
  check_host(root, host, config);
  // File order reads best; values from the environment (no line) come last.
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tuple(a.line == 0, a.file, a.line, a.column) <
                            std::tuple(b.line == 0, b.file, b.line, b.column);
                   });
  if (!has_error(diagnostics)) result.config = std::move(config);
  result.diagnostics = std::move(diagnostics);
  return result;
}

LoadResult build_from_documents(std::vector<Node> documents, std::string source,
                                const std::map<std::string, std::string>& environment,
                                const HostFacts& host, std::vector<Diagnostic> diagnostics) {
  // The first document is the base as written (so an empty `name:` is reported where it is);
  // later ones patch it as Patroni's patch_config() does.
  Node merged = documents.empty() ? make_map(Origin{}) : std::move(documents.front());
  for (std::size_t i = 1; i < documents.size(); ++i) merge_into(&merged, documents[i]);
  merge_into(&merged, environment_tree(environment, &diagnostics));
  if (has_error(diagnostics)) return LoadResult{std::nullopt, std::move(diagnostics)};
  return build_config(merged, std::move(source), host, std::move(diagnostics));
}

}  // namespace internal

LoadResult parse_local_config(const std::string& yaml_text, const std::string& file_name,
                              const std::map<std::string, std::string>& environment,
                              const HostFacts& host) {
  std::vector<Diagnostic> diagnostics;
  std::optional<internal::Node> document = internal::parse_yaml(yaml_text, file_name, &diagnostics);
  if (!document) return LoadResult{std::nullopt, std::move(diagnostics)};
  std::vector<internal::Node> documents;
  documents.push_back(std::move(*document));
  return internal::build_from_documents(std::move(documents), file_name, environment, host,
                                        std::move(diagnostics));
}

LoadResult parse_local_config(const std::string& yaml_text, const std::string& file_name,
                              const std::map<std::string, std::string>& environment) {
  return parse_local_config(yaml_text, file_name, environment, HostFacts::current());
}

}  // namespace pghalo::config

namespace pghalo::config {

std::string Config::base_path() const {
  std::string joined = "/" + namespace_ + "/" + scope;
  std::string out;
  for (char c : joined) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out += c;
  }
  return out;
}

}  // namespace pghalo::config
