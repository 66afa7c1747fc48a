// The postgresql section (spec 4.2) and how missing authentication is derived.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/strings.h"
#include "config/scalars.h"
#include "config/sections.h"

namespace pghalo::config::internal {
namespace {

constexpr std::string_view kUserOptions[] = {"sslmode",   "sslkey",      "sslpassword",
                                             "sslcert",   "sslrootcert", "sslcrl",
                                             "sslcrldir", "gssencmode",  "channel_binding"};

// basebackup options pghalo (like Patroni) sets itself; Patroni logs and skips them.
constexpr std::string_view kBasebackupForbidden[] = {
    "pgdata",   "format", "wal-method", "xlog-method", "gzip",     "version",
    "compress", "dbname", "host",       "port",        "username", "password"};

void read_user(const Section& parent, std::string_view key, PgUser* out) {
  Section s = parent.section(key);
  if (!s.present()) return;
  s.require("username", &out->username);
  s.read("password", &out->password);
  for (std::string_view option : kUserOptions) {
    std::string value;
    if (s.read(option, &value)) out->options[std::string(option)] = value;
  }
}

void read_users(const Section& s, PostgresqlConfig* pg) {
  Section auth = s.section("authentication");
  if (auth.present()) {
    read_user(auth, "superuser", &pg->superuser);
    read_user(auth, "replication", &pg->replication);
    if (auth.has("rewind")) read_user(auth, "rewind", &pg->rewind.emplace());
    return;
  }
  // Patroni's pre-1.0 layout: users directly under postgresql, pg_rewind as the rewind user.
  read_user(s, "superuser", &pg->superuser);
  read_user(s, "replication", &pg->replication);
  if (s.has("pg_rewind")) {
    read_user(s, "pg_rewind", &pg->rewind.emplace());
    if (pg->superuser.username.empty()) pg->superuser = *pg->rewind;
    pg->use_pg_rewind = true;
  }
}

bool forbidden_basebackup_option(const Section& s, const Origin& origin, std::string_view name) {
  if (std::find(std::begin(kBasebackupForbidden), std::end(kBasebackupForbidden), name) ==
      std::end(kBasebackupForbidden)) {
    return false;
  }
  s.report_at(Severity::kWarning, origin, s.path_of("basebackup"),
              "option '" + std::string(name) + "' is set by pghalo itself; ignored");
  return true;
}

// A list of "flag" strings and single-pair {option: value} maps, or one map, as pg_basebackup
// long options.
void read_basebackup(const Section& s, std::vector<std::string>* out) {
  const Entry* entry = s.entry("basebackup");
  if (entry == nullptr || entry->value.is_null()) return;
  auto add = [&](const Origin& origin, const std::string& name, const Node* value) {
    if (forbidden_basebackup_option(s, origin, name)) return;
    if (value == nullptr) {
      out->push_back("--" + name);
    } else if (value->is_scalar()) {
      out->push_back("--" + name + "=" + value->text);
    } else {
      s.wrong_type("basebackup", *value, "a single value per option");
    }
  };
  const Node& value = entry->value;
  if (value.is_map()) {
    for (const auto& e : value.entries) add(e.key_origin, e.key, &e.value);
  } else if (value.is_sequence()) {
    for (const auto& item : value.items) {
      if (item.is_scalar()) {
        add(item.origin, item.text, nullptr);
      } else if (item.is_map() && item.entries.size() == 1) {
        add(item.entries[0].key_origin, item.entries[0].key, &item.entries[0].value);
      } else {
        s.wrong_type("basebackup", item, "an option name or a single {option: value} pair");
      }
    }
  } else {
    s.wrong_type("basebackup", value, "a list of options or a map");
  }
}

void read_addresses(const Section& s, PostgresqlConfig* pg) {
  std::string listen;
  if (s.require("listen", &listen)) {
    std::string problem;
    if (split_host_port(listen, 0, &problem)) {
      pg->listen = std::string(trim(listen));
    } else {
      s.report(Severity::kError, "listen", quote_value(listen) + " " + problem);
    }
  }
  read_connect_address(s, "connect_address", true, &pg->connect_address);
  std::string proxy;
  read_connect_address(s, "proxy_address", false, &proxy);
  if (!proxy.empty()) pg->proxy_address = proxy;
}

void read_behaviour(const Section& s, PostgresqlConfig* pg) {
  Section callbacks = s.section("callbacks");
  callbacks.read("on_start", &pg->callbacks.on_start);
  callbacks.read("on_stop", &pg->callbacks.on_stop);
  callbacks.read("on_restart", &pg->callbacks.on_restart);
  callbacks.read("on_reload", &pg->callbacks.on_reload);
  callbacks.read("on_role_change", &pg->callbacks.on_role_change);
  if (!s.read("create_replica_methods", &pg->create_replica_methods, true)) {
    s.read("create_replica_method", &pg->create_replica_methods, true);
  }
  read_basebackup(s, &pg->basebackup_options);
  s.read("pg_ctl_timeout", &pg->pg_ctl_timeout, 0, std::numeric_limits<int>::max());
  s.read("use_pg_rewind", &pg->use_pg_rewind);
  s.read("remove_data_directory_on_rewind_failure", &pg->remove_data_directory_on_rewind_failure);
  s.read("remove_data_directory_on_diverged_timelines",
         &pg->remove_data_directory_on_diverged_timelines);
  s.read("use_unix_socket", &pg->use_unix_socket);
  s.read("use_unix_socket_repl", &pg->use_unix_socket_repl);
  s.read("pre_promote", &pg->pre_promote);
  s.read("before_stop", &pg->before_stop);
  s.read("recovery_conf", &pg->recovery_conf);
  s.read("custom_conf", &pg->custom_conf);
  s.read("database", &pg->database);
}

// The first bootstrap user, in file order, that has the replication option.
const Entry* replication_bootstrap_user(const Section& root) {
  const Entry* users = find_path(*root.node(), "bootstrap.users");
  if (users == nullptr || !users->value.is_map()) return nullptr;
  for (const auto& user : users->value.entries) {
    const Entry* options = user.value.find("options");
    if (options == nullptr || !options->value.is_sequence()) continue;
    for (const auto& option : options->value.items) {
      if (option.is_scalar() && to_lower(option.text) == "replication") return &user;
    }
  }
  return nullptr;
}

}  // namespace

void read_postgresql(const Section& root, const HostFacts& host, Config* out) {
  Section s = root.section("postgresql");
  PostgresqlConfig& pg = out->postgresql;
  if (!s.present()) {
    root.report_missing("postgresql", " (listen, connect_address, data_dir)");
    return;
  }
  read_addresses(s, &pg);
  s.require("data_dir", &pg.data_dir);
  if (!s.read("config_dir", &pg.config_dir)) pg.config_dir = pg.data_dir;
  s.read("bin_dir", &pg.bin_dir);
  if (!s.read("pgpass", &pg.pgpass)) pg.pgpass = host.home_dir + "/pgpass";
  read_users(s, &pg);
  s.read("parameters", &pg.parameters);
  std::vector<std::string> lines;
  if (s.read("pg_hba", &lines)) pg.pg_hba = lines;
  if (s.read("pg_ident", &lines)) pg.pg_ident = lines;
  read_behaviour(s, &pg);
}

void derive_authentication(const Section& root, const HostFacts& host, Config* out) {
  PostgresqlConfig& pg = out->postgresql;
  Section s = root.section("postgresql");
  if (!s.present()) return;
  std::vector<std::string> derived;
  bool assumed = false;
  if (pg.superuser.username.empty()) {
    pg.superuser = PgUser{host.os_user, std::nullopt, {}};
    if (!s.has("use_unix_socket")) pg.use_unix_socket = true;
    derived.push_back("the superuser is the OS user '" + host.os_user + "' without a password, " +
                      (pg.use_unix_socket ? "over the local Unix socket (peer authentication)"
                                          : "over TCP (use_unix_socket is false)"));
  }
  if (pg.replication.username.empty()) {
    if (const Entry* user = replication_bootstrap_user(root)) {
      pg.replication.username = user->key;
      const Entry* password = user->value.find("password");
      if (password != nullptr && password->value.is_scalar() && !pg.replication.password) {
        pg.replication.password = password->value.text;
      }
      derived.push_back("the replication user is '" + user->key +
                        "' with its password, from bootstrap.users (it has the replication "
                        "option)");
    } else {
      pg.replication.username = "replicator";
      assumed = true;
    }
  }
  pg.authentication_derived = !derived.empty() || assumed;
  if (!derived.empty()) {
    s.report(Severity::kNotice, "authentication",
             "not set, so pghalo derived it: " + join(derived, "; "));
  }
  if (assumed) {
    s.report(Severity::kWarning, "authentication",
             "the replication user cannot be derived from this file: there is no "
             "postgresql.authentication.replication and no bootstrap.users entry with the "
             "replication option. pghalo assumes the user 'replicator'" +
                 std::string(pg.replication.password ? "" : " without a password") +
                 ": this node can only clone from another member if the password of the "
                 "replication user is in the pgpass file (" +
                 pg.pgpass +
                 ") or given as PATRONI_REPLICATION_USERNAME/PATRONI_REPLICATION_PASSWORD");
  }
}

}  // namespace pghalo::config::internal
