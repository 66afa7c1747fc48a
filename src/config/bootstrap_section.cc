// The bootstrap section (spec 4.2, 4.8); bootstrap.dcs is typed like `/config`, strictly.
#include <algorithm>

#include "config/dynamic.h"
#include "config/sections.h"

namespace pghalo::config::internal {
namespace {

// initdb options pghalo (like Patroni) sets itself.
bool initdb_option_allowed(std::string_view name) {
  static constexpr std::string_view kForbidden[] = {"pgdata", "nosync", "pwfile", "sync-only",
                                                    "version"};
  return std::find(std::begin(kForbidden), std::end(kForbidden), name) == std::end(kForbidden);
}

void add_initdb_option(const Section& s, const Origin& origin, const std::string& name,
                       const Node* value, std::vector<std::string>* out) {
  if (!initdb_option_allowed(name)) {
    s.report_at(Severity::kError, origin, s.path_of("initdb"),
                "option '" + name + "' is set by pghalo itself and is not allowed");
    return;
  }
  if (value == nullptr) {
    out->push_back("--" + name);
  } else if (value->is_scalar()) {
    out->push_back("--" + name + "=" + value->text);
  } else {
    s.report_at(Severity::kError, value->origin, s.path_of("initdb") + "." + name,
                "expected a single value, got " + std::string(kind_name(*value)));
  }
}

// A list of "flag" strings and single-pair {option: value} maps, or one map (Patroni takes both).
void read_initdb(const Section& s, std::vector<std::string>* out) {
  const Entry* initdb = s.entry("initdb");
  if (initdb == nullptr || initdb->value.is_null()) return;
  const Node& value = initdb->value;
  if (value.is_map()) {
    for (const auto& e : value.entries) add_initdb_option(s, e.key_origin, e.key, &e.value, out);
    return;
  }
  if (!value.is_sequence()) {
    s.wrong_type("initdb", value, "a list of options");
    return;
  }
  for (const auto& item : value.items) {
    if (item.is_scalar()) {
      add_initdb_option(s, item.origin, item.text, nullptr, out);
    } else if (item.is_map() && item.entries.size() == 1) {
      const Entry& pair = item.entries.front();
      add_initdb_option(s, pair.key_origin, pair.key, &pair.value, out);
    } else {
      s.report_at(
          Severity::kError, item.origin, s.path_of("initdb"),
          "each entry must be an option name or a single {option: value} pair, got " +
              std::string(kind_name(item)) +
              (item.is_map() ? " with " + std::to_string(item.entries.size()) + " keys" : ""));
    }
  }
}

void read_users(const Section& s, std::map<std::string, BootstrapUser>* out) {
  Section users = s.section("users");
  const Entry* entry = s.entry("users");
  if (!users.present()) return;
  for (const auto& user : entry->value.entries) {
    Section u = users.section(user.key);
    BootstrapUser parsed;
    u.read("password", &parsed.password);
    u.read("options", &parsed.options);
    (*out)[user.key] = std::move(parsed);
  }
}

// bootstrap.dcs is what the first node writes to `/config`: kept verbatim, and typed now so a
// mistake is refused before it reaches etcd, where it could no longer be refused.
void read_dcs(const Section& s, Config* out) {
  Section dcs = s.section("dcs");
  const Entry* entry = s.entry("dcs");
  if (!dcs.present()) return;
  out->bootstrap.dcs = to_json(entry->value);
  std::vector<Diagnostic> found;
  parse_dynamic(out->bootstrap.dcs, Strictness::kFile, &found);
  for (auto& d : found) {
    const Entry* at = d.key.empty() ? nullptr : find_path(entry->value, d.key);
    const Origin& origin = at != nullptr ? at->value.origin : entry->key_origin;
    std::string key = d.key.empty() ? dcs.path() : dcs.path_of(d.key);
    s.report_at(d.severity, origin, key, d.message);
  }
}

}  // namespace

void read_bootstrap(const Section& root, Config* out) {
  Section s = root.section("bootstrap");
  out->has_bootstrap_section = s.present();
  if (!s.present()) return;
  read_dcs(s, out);
  s.read("method", &out->bootstrap.method);
  read_initdb(s, &out->bootstrap.initdb_args);
  s.read("pg_hba", &out->bootstrap.pg_hba);
  read_users(s, &out->bootstrap.users);
  if (!s.read("post_bootstrap", &out->bootstrap.post_bootstrap)) {
    s.read("post_init", &out->bootstrap.post_bootstrap);
  }
}

}  // namespace pghalo::config::internal
