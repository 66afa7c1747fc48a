// pghaloctl's commands: one function per subcommand, taking the parsed options and the Context.
// Names, options, prompts and messages follow patronictl 3.0.2 (spec 5.2); docs/cli.md says
// where pghaloctl does more (progress, timings, clearer errors) and why.
//
// Each function returns ok, or an error whose message is printed as is: kInvalidArgument for
// a bad request (exit 2), anything else for a failure (exit 1). Not thread-safe: one command at
// a time per Context.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ctl/context.h"
#include "ctl/output.h"

namespace pghalo::ctl {

using OptionalText = std::optional<std::string>;

// ---- reading the cluster --------------------------------------------------------------------

struct ListOptionsCmd {
  std::vector<std::string> clusters;  // empty: the configured scope
  bool extended = false;              // -e
  bool timestamp = false;             // -t
  Format format = Format::kPretty;    // -f
  std::optional<double> watch;        // -w SECONDS, or -W (2 s)
  std::optional<int> count;           // --count: stop after this many refreshes
  bool topology = false;              // the `topology` command
};
Status cmd_list(Context& ctx, const ListOptionsCmd& options);

Status cmd_history(Context& ctx, const OptionalText& cluster, Format format);
Status cmd_show_config(Context& ctx, const OptionalText& cluster);

struct DsnOptions {
  OptionalText cluster, role, member;
};
Status cmd_dsn(Context& ctx, const DsnOptions& options);

Status cmd_version(Context& ctx, const OptionalText& cluster,
                   const std::vector<std::string>& members);

// ---- changing the configuration -------------------------------------------------------------

struct EditConfigOptions {
  OptionalText cluster;
  bool quiet = false;
  std::vector<std::string> set;  // -s key.path=yaml
  std::vector<std::string> pg;   // -p guc=value
  OptionalText apply, replace;   // file or "-" (stdin)
  bool force = false;
  std::string stdin_text;  // what "-" reads (main supplies stdin)
  std::string editor;      // $EDITOR; empty: editor, then vi
};
Status cmd_edit_config(Context& ctx, const EditConfigOptions& options);

// ---- switchover and failover ----------------------------------------------------------------

struct SwitchoverOptions {
  OptionalText cluster, leader, candidate, scheduled;
  bool force = false;
  bool failover = false;  // the `failover` command
};
Status cmd_switchover(Context& ctx, const SwitchoverOptions& options);

// ---- actions on members ---------------------------------------------------------------------

struct MemberActionOptions {
  std::string cluster;
  std::vector<std::string> members;
  std::string role = "any";  // leader|primary|standby-leader|replica|standby|any|master
  bool force = false;
};

struct RestartOptions : MemberActionOptions {
  bool any = false;
  OptionalText scheduled, pg_version, timeout;
  bool pending = false;
};
Status cmd_restart(Context& ctx, const RestartOptions& options);
Status cmd_reload(Context& ctx, const MemberActionOptions& options);

struct ReinitOptions : MemberActionOptions {
  bool wait = false;
  Duration wait_timeout = std::chrono::hours(1);
};
Status cmd_reinit(Context& ctx, const ReinitOptions& options);

// target: "restart" or "switchover".
Status cmd_flush(Context& ctx, const MemberActionOptions& options, const std::string& target);

Status cmd_pause(Context& ctx, const OptionalText& cluster, bool pause, bool wait);

Status cmd_remove(Context& ctx, const std::string& cluster, Format format);

// ---- PostgreSQL -----------------------------------------------------------------------------

struct QueryOptions {
  OptionalText cluster, role, member, command, file, username, dbname;
  bool password = false;  // ask for it
  Format format = Format::kTsv;
  std::string delimiter = "\t";
  std::optional<double> watch;
  std::optional<int> count;
  std::string file_text;  // the contents of --file (main reads it)
};
Status cmd_query(Context& ctx, const QueryOptions& options);

struct LagOptions {
  OptionalText cluster, username, dbname;
  bool password = false;
  Format format = Format::kPretty;
  std::optional<double> watch;
  std::optional<int> count;
};
Status cmd_lag(Context& ctx, const LagOptions& options);

struct BackupOptions {
  OptionalText cluster;
  std::string directory;             // where backup_<timestamp> directories go
  std::optional<double> retention_days;  // prune older backups; nullopt: keep all
  OptionalText username;                 // default: the replication user of the config
  OptionalText bin_dir;                  // default: postgresql.bin_dir, PATH, /usr/lib/postgresql
  bool verify = true;
  OptionalText max_rate;                 // pg_basebackup --max-rate
  Duration timeout = std::chrono::hours(6);
  bool progress = true;                  // on a terminal
};
Status cmd_backup(Context& ctx, const BackupOptions& options);

}  // namespace pghalo::ctl
