// Subcommands that change the cluster: edit-config, switchover, failover, pause, resume,
// remove, backup.
#include "ctl/cli_internal.h"

namespace pghalo::ctl::cli {
namespace {

OptionalText given(const CLI::Option* option, const std::string& value) {
  return option->count() > 0 ? OptionalText(value) : std::nullopt;
}

void add_edit_config(CLI::App& app, State& state) {
  CLI::App* sub = app.add_subcommand("edit-config", "Edit cluster configuration");
  auto o = std::make_shared<EditConfigOptions>();
  auto text = std::make_shared<std::map<std::string, std::string>>();
  auto common = std::make_shared<Common>();
  sub->add_option("cluster_name", (*text)["cluster"], "Cluster (default: the scope)");
  add_group(sub, *common);
  sub->add_flag("-q,--quiet", o->quiet, "Do not show changes");
  sub->add_option("-s,--set", o->set,
                  "Set specific configuration value. Can be specified multiple times");
  sub->add_option("-p,--pg", o->pg,
                  "Set specific PostgreSQL parameter value. Shorthand for -s "
                  "postgresql.parameters. Can be specified multiple times");
  CLI::Option* apply = sub->add_option("--apply", (*text)["apply"],
                                       "Apply configuration from file. Use - for stdin.");
  CLI::Option* replace = sub->add_option(
      "--replace", (*text)["replace"],
      "Apply configuration from file, replacing existing configuration. Use - for stdin.");
  sub->add_flag("--force", o->force, "Do not ask for confirmation at any point");
  sub->callback([&state, o, text, common, apply, replace] {
    state.action = [=, &state](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      EditConfigOptions options = *o;
      if (!(*text)["cluster"].empty()) options.cluster = (*text)["cluster"];
      options.apply = given(apply, (*text)["apply"]);
      options.replace = given(replace, (*text)["replace"]);
      if (options.apply == "-" || options.replace == "-") options.stdin_text = state.deps->read_stdin();
      auto editor = state.deps->environment.find("EDITOR");
      if (editor != state.deps->environment.end()) options.editor = editor->second;
      return cmd_edit_config(ctx, options);
    };
  });
}

void add_switchover(CLI::App& app, State& state, bool failover) {
  CLI::App* sub = failover ? app.add_subcommand("failover", "Failover to a replica")
                           : app.add_subcommand("switchover", "Switchover to a replica");
  auto o = std::make_shared<SwitchoverOptions>();
  auto text = std::make_shared<std::map<std::string, std::string>>();
  auto common = std::make_shared<Common>();
  sub->add_option("cluster_name", (*text)["cluster"], "Cluster (default: the scope)");
  add_group(sub, *common);
  CLI::Option* leader = sub->add_option("--leader,--primary,--master", (*text)["leader"],
                                        "The name of the current leader");
  CLI::Option* candidate =
      sub->add_option("--candidate", (*text)["candidate"], "The name of the candidate");
  CLI::Option* scheduled = nullptr;
  if (!failover) {
    scheduled = sub->add_option(
        "--scheduled", (*text)["scheduled"],
        "Timestamp of a scheduled switchover in unambiguous format (e.g. ISO 8601)");
  }
  sub->add_flag("--force", o->force, "Do not ask for confirmation at any point");
  sub->callback([&state, o, text, common, leader, candidate, scheduled, failover] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      SwitchoverOptions options = *o;
      options.failover = failover;
      if (!(*text)["cluster"].empty()) options.cluster = (*text)["cluster"];
      options.leader = given(leader, (*text)["leader"]);
      options.candidate = given(candidate, (*text)["candidate"]);
      if (scheduled != nullptr) options.scheduled = given(scheduled, (*text)["scheduled"]);
      return cmd_switchover(ctx, options);
    };
  });
}

void add_pause(CLI::App& app, State& state, bool pause) {
  CLI::App* sub = pause ? app.add_subcommand("pause", "Disable auto failover")
                        : app.add_subcommand("resume", "Resume auto failover");
  auto cluster = std::make_shared<std::string>();
  auto wait = std::make_shared<bool>(false);
  auto common = std::make_shared<Common>();
  sub->add_option("cluster_name", *cluster, "Cluster (default: the scope)");
  add_group(sub, *common);
  sub->add_flag("--wait", *wait,
                pause ? "Wait until pause is applied on all nodes"
                      : "Wait until pause is cleared on all nodes");
  sub->callback([&state, cluster, wait, common, pause] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      return cmd_pause(ctx, cluster->empty() ? OptionalText() : OptionalText(*cluster), pause,
                       *wait);
    };
  });
}

void add_remove(CLI::App& app, State& state) {
  CLI::App* sub = app.add_subcommand("remove", "Remove cluster from DCS");
  auto cluster = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("pretty");
  auto common = std::make_shared<Common>();
  sub->add_option("cluster_name", *cluster, "Cluster")->required();
  add_group(sub, *common);
  sub->add_option("-f,--format", *format, "Output format (pretty, tsv, json, yaml)");
  sub->callback([&state, cluster, format, common] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      auto f = parse_format(*format);
      if (!f.ok()) return f.error();
      return cmd_remove(ctx, *cluster, *f);
    };
  });
}

void add_backup(CLI::App& app, State& state) {
  CLI::App* sub = app.add_subcommand(
      "backup", "Back up the cluster from its leader with pg_basebackup, verify it, prune old ones");
  auto o = std::make_shared<BackupOptions>();
  auto text = std::make_shared<std::map<std::string, std::string>>();
  auto retention = std::make_shared<double>(0);
  auto limit = std::make_shared<double>(6 * 3600);
  auto no_verify = std::make_shared<bool>(false);
  sub->add_option("cluster_name", (*text)["cluster"], "Cluster (default: the scope)");
  sub->add_option("-D,--directory", o->directory,
                  "Directory that holds the backups (each in backup_YYYYMMDD_HHMMSS)")
      ->required();
  CLI::Option* keep = sub->add_option("--retention-days", *retention,
                                      "Remove backups in the directory older than this many days")
                          ->check(CLI::PositiveNumber);
  CLI::Option* user = sub->add_option(
      "-U,--username", (*text)["user"],
      "Replication user (default: postgresql.authentication.replication of the configuration)");
  CLI::Option* bin = sub->add_option("--bin-dir", (*text)["bin"],
                                     "Directory with pg_basebackup and pg_verifybackup");
  CLI::Option* rate = sub->add_option("--max-rate", (*text)["rate"],
                                      "pg_basebackup --max-rate (e.g. 100M)");
  sub->add_flag("--no-verify", *no_verify, "Skip pg_verifybackup");
  sub->add_option("--time-limit", *limit, "Seconds pg_basebackup and the verification may take")
      ->check(CLI::PositiveNumber);
  sub->callback([&state, o, text, retention, limit, no_verify, keep, user, bin, rate] {
    state.action = [=](Context& ctx) -> Status {
      BackupOptions options = *o;
      if (!(*text)["cluster"].empty()) options.cluster = (*text)["cluster"];
      if (keep->count()) options.retention_days = *retention;
      options.username = given(user, (*text)["user"]);
      options.bin_dir = given(bin, (*text)["bin"]);
      options.max_rate = given(rate, (*text)["rate"]);
      options.verify = !*no_verify;
      options.timeout = Duration(static_cast<long long>(*limit * 1000));
      return cmd_backup(ctx, options);
    };
  });
}

}  // namespace

void add_change_commands(CLI::App& app, State& state) {
  add_edit_config(app, state);
  add_switchover(app, state, false);
  add_switchover(app, state, true);
  add_pause(app, state, true);
  add_pause(app, state, false);
  add_remove(app, state);
  add_backup(app, state);
}

}  // namespace pghalo::ctl::cli
