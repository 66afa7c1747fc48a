// Turns the configuration and the cluster view into the concrete PostgreSQL plans the jobs
// execute: the managed files for a primary or a replica of some upstream, the servers to clone
// or rewind from, the initdb spec and the roles created at bootstrap.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "ha/decision.h"
#include "model/member.h"
#include "pg/postgres.h"

namespace pghalo::agent {

struct HostPort {
  std::string host;
  int port = 5432;
};

// "postgres://10.0.0.1:5432/postgres" or the libpq "host=... port=..." legacy form -> host/port.
std::optional<HostPort> parse_conn_url(const std::string& conn_url);
// "10.0.0.1:5432" -> host/port (IPv6 in brackets).
std::optional<HostPort> parse_host_port(const std::string& address);

// What this member publishes: postgres://<postgresql.connect_address>/postgres and
// http(s)://<restapi.connect_address>/patroni (spec 1.3.1).
std::string member_conn_url(const config::Config& local);
std::string member_api_url(const config::Config& local);

// Who we log in as on other members: streaming and clone use the replication user; rewind uses
// postgresql.authentication.rewind, else a superuser with a password, else the replication user
// (granted the four functions pg_rewind needs at bootstrap, see bootstrap_sql()).
pg::SourceServer replication_source(const config::Config& local, const model::Member& source);
pg::SourceServer rewind_source(const config::Config& local, const model::Member& leader);

// The effective GUCs and files for this member. `upstream` set: a standby streaming from it;
// `standby` without upstream: a read-only standby with no primary_conninfo; neither: a primary.
struct Role {
  bool standby = false;
  std::optional<model::Member> upstream;
};
pg::ManagedFiles managed_files(const config::Config& local, const config::DynamicConfig& dynamic,
                               int major_version, const Role& role, bool use_slots);

pg::BootstrapSpec bootstrap_spec(const config::Config& local);
// SQL run once on the new primary: the superuser password, the replication user, the users of
// bootstrap.users, and the EXECUTE grants pg_rewind needs when it uses the replication user.
std::string bootstrap_sql(const config::Config& local);

// synchronous_standby_names for `names` (spec 2.14): '' (none), a single name, or
// 'N (a,b)' for N > 1; '*' in strict mode with nobody to wait for. Names that are not plain
// lower-case identifiers are double-quoted.
std::optional<std::string> render_synchronous_standby_names(
    const std::optional<ha::SetSynchronousStandbyNames>& names);

// What the next cycle may take synchronous_standby_names to be. The core writes the list it asks
// for into the decision's memory; when its SetSynchronousStandbyNames did not run (an etcd
// action before it failed) or failed, PostgreSQL still has the list from `before`, and a
// standby it reports `sync` under that list (say '*') must not be published in /sync as if
// PostgreSQL waited for it by name (simulator seed 5643).
std::optional<ha::SetSynchronousStandbyNames> sync_names_after_cycle(
    const std::optional<ha::SetSynchronousStandbyNames>& before, const ha::Decision& decision,
    bool applied);

// SQL literal and identifier quoting.
std::string quote_literal(const std::string& value);
std::string quote_identifier(const std::string& value);

}  // namespace pghalo::agent
