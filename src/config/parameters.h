// Internal to the config module: the GUCs Patroni passes on the postmaster command line, with
// their defaults and the checks Patroni applies to values from `/config`. Not a GUC validator:
// other parameters pass through untouched, as in Patroni. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pghalo::config::internal {

// True for the GUCs Patroni puts on the command line (max_connections, wal_level, port, ...);
// the local file cannot set them. Case-insensitive, as PostgreSQL's names are.
bool is_command_line_guc(std::string_view name);

// Why a `/config` value of a command-line GUC is dropped (so the default applies), or nullopt
// when it is used. Values the agent forces anyway (hot_standby=on, wal_log_hints=on) and the
// GUCs it derives (listen_addresses, port, cluster_name) are dropped too; `silently` tells
// whether the drop is worth a warning (false when the value equals what pghalo sets).
struct GucRejection {
  std::string reason;
  bool silently = false;
};
std::optional<GucRejection> reject_dynamic_guc(std::string_view name, std::string_view value);

}  // namespace pghalo::config::internal
