// Rendering of what pghalo writes for PostgreSQL (spec 4.6, 4.7): postgresql.conf with the
// recovery block, the postgres command-line options, the cleaned postgresql.auto.conf. Byte for
// byte what Patroni would write, so a mixed cluster and an operator diffing files see no change.
//
// Not here: file I/O (LocalPostgres), connection strings and pgpass (conninfo.h). Pure;
// thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/postgres.h"

namespace pghalo::pg {

// GUCs pghalo passes on the postgres command line so ALTER SYSTEM cannot override them.
bool is_command_line_parameter(std::string_view name);
// GUCs that belong to recovery (standby) configuration; removed from postgresql.auto.conf.
bool is_recovery_parameter(std::string_view name);

// 'value' with ' and \ doubled.
std::string quote_conf_value(std::string_view value);

struct PostgresqlConfInputs {
  std::string include_file = "postgresql.base.conf";
  // All effective GUCs, command-line ones included: the command line wins over the file, and an
  // operator starting the server by hand still gets the right port and wal_level (as Patroni).
  std::map<std::string, std::string> parameters;
  std::string hba_file;  // absolute; written unless parameters set it
  std::string ident_file;
  // Recovery parameters in the order to write them; empty for a primary.
  std::vector<std::pair<std::string, std::string>> recovery;
};

// The whole postgresql.conf: header, include, sorted parameters, hba/ident files, recovery block.
std::string render_postgresql_conf(const PostgresqlConfInputs& inputs);

// The recovery block for a standby (PG 12+): primary_conninfo (already rendered, empty = none),
// primary_slot_name, recovery_target_timeline, the neutralised recovery_target* and the extras,
// sorted by name as Patroni writes them.
std::vector<std::pair<std::string, std::string>> recovery_parameters(
    const std::string& primary_conninfo, const std::optional<std::string>& primary_slot_name,
    const std::string& recovery_target_timeline, const std::map<std::string, std::string>& extra);

// postgresql.auto.conf without recovery parameters (ALTER SYSTEM or pg_basebackup -R may have
// put them there, and they would override ours). nullopt when nothing had to be removed.
std::optional<std::string> strip_recovery_parameters(std::string_view auto_conf);

// The `--name=value` options for the postgres command line, sorted by name. `listen_addresses`,
// `port` and `cluster_name` come from the caller (they decide where pghalo connects). For a
// replica, `control` raises the GUCs that must be at least the primary's values recorded in
// pg_control (max_connections, ...), or the standby refuses to start.
std::vector<std::string> command_line_options(const std::map<std::string, std::string>& parameters,
                                              const std::map<std::string, std::string>& forced,
                                              const model::ControlData* replica_control);

// Single-quotes an argument for /bin/sh (pg_ctl -o passes its options through a shell).
std::string shell_quote(std::string_view value);

}  // namespace pghalo::pg
