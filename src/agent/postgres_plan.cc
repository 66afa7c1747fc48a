#include "agent/postgres_plan.h"

#include "common/strings.h"
#include "model/slot_name.h"

namespace pghalo::agent {
namespace {

pg::SourceServer source_for(const config::PgUser& user, const model::Member& member) {
  pg::SourceServer s;
  auto hp = parse_conn_url(member.conn_url);
  if (hp) {
    s.host = hp->host;
    s.port = hp->port;
  }
  s.user = user.username;
  s.password = user.password;
  s.options = user.options;
  s.dbname = "postgres";
  return s;
}

std::vector<pg::PgPassEntry> pgpass_entries(const config::Config& local) {
  std::vector<pg::PgPassEntry> out;
  auto add = [&](const config::PgUser& user) {
    if (user.username.empty() || !user.password) return;
    for (const auto& e : out) {
      if (e.user == user.username) return;
    }
    pg::PgPassEntry e;
    e.user = user.username;
    e.password = *user.password;
    out.push_back(e);
  };
  add(local.postgresql.replication);
  if (local.postgresql.rewind) add(*local.postgresql.rewind);
  add(local.postgresql.superuser);
  return out;
}

}  // namespace

std::optional<HostPort> parse_host_port(const std::string& address) {
  std::string_view a = trim(address);
  HostPort hp;
  std::string_view port_text;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    hp.host = std::string(a.substr(1, close - 1));
    if (close + 1 < a.size() && a[close + 1] == ':') port_text = a.substr(close + 2);
  } else {
    auto colon = a.rfind(':');
    if (colon == std::string_view::npos) {
      hp.host = std::string(a);
    } else {
      hp.host = std::string(a.substr(0, colon));
      port_text = a.substr(colon + 1);
    }
  }
  if (!port_text.empty()) {
    auto port = parse_int64(port_text);
    if (!port || *port <= 0 || *port > 65535) return std::nullopt;
    hp.port = static_cast<int>(*port);
  }
  if (hp.host.empty()) return std::nullopt;
  return hp;
}

std::optional<HostPort> parse_conn_url(const std::string& conn_url) {
  std::string_view s = conn_url;
  for (std::string_view scheme : {"postgres://", "postgresql://"}) {
    if (s.substr(0, scheme.size()) == scheme) {
      s.remove_prefix(scheme.size());
      auto at = s.rfind('@', s.find('/'));
      if (at != std::string_view::npos) s.remove_prefix(at + 1);
      auto slash = s.find_first_of("/?");
      return parse_host_port(std::string(s.substr(0, slash)));
    }
  }
  // libpq keyword form: host=... port=...
  HostPort hp;
  for (const auto& word : split(s, ' ')) {
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "host") hp.host = value;
    if (key == "port") {
      auto p = parse_int64(value);
      if (p) hp.port = static_cast<int>(*p);
    }
  }
  if (hp.host.empty()) return std::nullopt;
  return hp;
}

std::string member_conn_url(const config::Config& local) {
  return "postgres://" + local.postgresql.connect_address + "/postgres";
}

std::string member_api_url(const config::Config& local) {
  std::string scheme = local.restapi.certfile ? "https" : "http";
  return scheme + "://" + local.restapi.connect_address + "/patroni";
}

pg::SourceServer replication_source(const config::Config& local, const model::Member& source) {
  return source_for(local.postgresql.replication, source);
}

pg::SourceServer rewind_source(const config::Config& local, const model::Member& leader) {
  if (local.postgresql.rewind) return source_for(*local.postgresql.rewind, leader);
  if (local.postgresql.superuser.password) return source_for(local.postgresql.superuser, leader);
  return source_for(local.postgresql.replication, leader);
}

pg::ManagedFiles managed_files(const config::Config& local, const config::DynamicConfig& dynamic,
                               int major_version, const Role& role, bool use_slots) {
  pg::ManagedFiles files;
  files.parameters = config::effective_parameters(local, dynamic, major_version);
  if (local.postgresql.pg_hba) {
    files.pg_hba = local.postgresql.pg_hba;
  } else if (dynamic.pg_hba) {
    files.pg_hba = dynamic.pg_hba;
  }
  files.pg_ident = local.postgresql.pg_ident;
  files.pgpass = pgpass_entries(local);
  if (role.standby || role.upstream) {
    pg::RecoverySettings recovery;
    recovery.application_name = local.name;
    if (role.upstream) {
      recovery.upstream = replication_source(local, *role.upstream);
      if (use_slots && !local.tags.nostream) {
        recovery.primary_slot_name = model::slot_name_for_member(local.name);
      }
    }
    recovery.extra = local.postgresql.recovery_conf;
    files.recovery = recovery;
  }
  return files;
}

pg::BootstrapSpec bootstrap_spec(const config::Config& local) {
  pg::BootstrapSpec spec;
  spec.initdb_args = local.bootstrap.initdb_args;
  spec.superuser = local.postgresql.superuser.username;
  spec.superuser_password = local.postgresql.superuser.password;
  spec.pg_hba_append = local.bootstrap.pg_hba;
  return spec;
}

namespace {
bool plain_identifier(const std::string& name) {
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}
}  // namespace

std::optional<ha::SetSynchronousStandbyNames> sync_names_after_cycle(
    const std::optional<ha::SetSynchronousStandbyNames>& before, const ha::Decision& decision,
    bool applied) {
  if (decision.has<ha::SetSynchronousStandbyNames>() && !applied) return before;
  return decision.memory.sync_standby_names;
}

std::optional<std::string> render_synchronous_standby_names(
    const std::optional<ha::SetSynchronousStandbyNames>& names) {
  if (!names) return std::nullopt;
  if (names->names.empty()) return names->strict ? "*" : "";
  std::vector<std::string> quoted;
  for (const auto& n : names->names) {
    quoted.push_back(plain_identifier(n.value) ? n.value : quote_identifier(n.value));
  }
  if (names->count > 1) return std::to_string(names->count) + " (" + join(quoted, ",") + ")";
  if (quoted.size() == 1) return quoted[0];
  return "1 (" + join(quoted, ",") + ")";
}

std::string quote_literal(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += "''";
    else out.push_back(c);
  }
  return out + "'";
}

std::string quote_identifier(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  return out + "\"";
}

namespace {

// CREATE the role if missing, else ALTER it, in one DO block so the script is idempotent.
std::string ensure_role(const std::string& name, const std::vector<std::string>& options,
                        const std::optional<std::string>& password) {
  std::string attrs = "LOGIN";
  for (const auto& o : options) attrs += " " + to_upper_ascii(o);
  if (password) attrs += " PASSWORD " + quote_literal(*password);
  std::string ident = quote_identifier(name);
  return "DO $pghalo$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = " +
         quote_literal(name) + ") THEN ALTER ROLE " + ident + " WITH " + attrs +
         "; ELSE CREATE ROLE " + ident + " WITH " + attrs + "; END IF; END $pghalo$;\n";
}

}  // namespace

std::string bootstrap_sql(const config::Config& local) {
  std::string sql;
  const auto& pgc = local.postgresql;
  if (pgc.superuser.password) {
    sql += "ALTER ROLE " + quote_identifier(pgc.superuser.username) + " WITH PASSWORD " +
           quote_literal(*pgc.superuser.password) + ";\n";
  }
  bool replication_user_listed = false;
  for (const auto& [name, user] : local.bootstrap.users) {
    if (name == pgc.replication.username) replication_user_listed = true;
    std::vector<std::string> options;
    for (const auto& o : user.options) options.push_back(o);
    sql += ensure_role(name, options, user.password);
  }
  if (!pgc.replication.username.empty() && !replication_user_listed &&
      pgc.replication.username != pgc.superuser.username) {
    sql += ensure_role(pgc.replication.username, {"replication"}, pgc.replication.password);
  }
  // pg_rewind from a non-superuser needs these functions (PostgreSQL docs, pg_rewind).
  std::string rewinder;
  if (pgc.rewind && pgc.rewind->username != pgc.superuser.username) {
    sql += ensure_role(pgc.rewind->username, {}, pgc.rewind->password);
    rewinder = pgc.rewind->username;
  } else if (!pgc.rewind && !pgc.superuser.password && !pgc.replication.username.empty()) {
    rewinder = pgc.replication.username;
  }
  if (!rewinder.empty()) {
    std::string who = quote_identifier(rewinder);
    for (const char* fn :
         {"pg_catalog.pg_ls_dir(text, boolean, boolean)", "pg_catalog.pg_stat_file(text, boolean)",
          "pg_catalog.pg_read_binary_file(text)",
          "pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)"}) {
      sql += std::string("GRANT EXECUTE ON FUNCTION ") + fn + " TO " + who + ";\n";
    }
  }
  return sql;
}

}  // namespace pghalo::agent
