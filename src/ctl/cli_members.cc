// Subcommands acting on members: restart, reload, reinit, flush.
#include "ctl/cli_internal.h"

namespace pghalo::ctl::cli {
namespace {

// CLUSTER_NAME [MEMBER_NAMES]... -r/--role --force, as restart, reload and flush take them.
template <typename Options>
CLI::App* member_command(CLI::App& app, const std::string& name, const std::string& help,
                         Options& o, Common& common, const std::string& role_help) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("cluster_name", o.cluster, "Cluster")->required();
  sub->add_option("member_names", o.members, "Members (default: all with the role)");
  add_group(sub, common);
  if (!role_help.empty()) add_role(sub, o.role, role_help);
  sub->add_flag("--force", o.force, "Do not ask for confirmation at any point");
  return sub;
}

void add_restart(CLI::App& app, State& state) {
  auto o = std::make_shared<RestartOptions>();
  auto common = std::make_shared<Common>();
  auto text = std::make_shared<std::map<std::string, std::string>>();
  CLI::App* sub = member_command(app, "restart", "Restart cluster member", *o, *common,
                                 "Restart only members with this role");
  sub->add_flag("--any", o->any, "Restart a single member only");
  CLI::Option* scheduled = sub->add_option(
      "--scheduled", (*text)["scheduled"],
      "Timestamp of a scheduled restart in unambiguous format (e.g. ISO 8601)");
  CLI::Option* version = sub->add_option(
      "--pg-version", (*text)["version"],
      "Restart if the PostgreSQL version is less than provided (e.g. 9.5.2)");
  sub->add_flag("--pending", o->pending, "Restart if pending");
  CLI::Option* timeout = sub->add_option(
      "--timeout", (*text)["timeout"],
      "Return error and fail over if necessary when restarting takes longer than this.");
  sub->callback([&state, o, common, text, scheduled, version, timeout] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      RestartOptions options = *o;
      if (scheduled->count()) options.scheduled = (*text)["scheduled"];
      if (version->count()) options.pg_version = (*text)["version"];
      if (timeout->count()) options.timeout = (*text)["timeout"];
      return cmd_restart(ctx, options);
    };
  });
}

void add_reload(CLI::App& app, State& state) {
  auto o = std::make_shared<MemberActionOptions>();
  auto common = std::make_shared<Common>();
  CLI::App* sub = member_command(app, "reload", "Reload cluster member configuration", *o, *common,
                                 "Reload only members with this role");
  sub->callback([&state, o, common] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      return cmd_reload(ctx, *o);
    };
  });
}

void add_reinit(CLI::App& app, State& state) {
  auto o = std::make_shared<ReinitOptions>();
  auto common = std::make_shared<Common>();
  auto limit = std::make_shared<double>(3600);
  CLI::App* sub = member_command(app, "reinit", "Reinitialize cluster member", *o, *common, "");
  sub->add_flag("--wait", o->wait, "Wait until reinitialization completes");
  sub->add_option("--wait-timeout", *limit, "With --wait: give up after this many seconds")
      ->check(CLI::PositiveNumber);
  sub->callback([&state, o, common, limit] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      ReinitOptions options = *o;
      options.wait_timeout = Duration(static_cast<long long>(*limit * 1000));
      return cmd_reinit(ctx, options);
    };
  });
}

void add_flush(CLI::App& app, State& state) {
  auto o = std::make_shared<MemberActionOptions>();
  auto common = std::make_shared<Common>();
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("flush", "Discard scheduled events");
  sub->add_option("args", *args, "CLUSTER_NAME [MEMBER_NAMES]... {restart|switchover}")
      ->required()
      ->expected(2, -1);
  add_group(sub, *common);
  add_role(sub, o->role, "Flush only members with this role");
  sub->add_flag("--force", o->force, "Do not ask for confirmation at any point");
  sub->callback([&state, o, common, args] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      MemberActionOptions options = *o;
      options.cluster = args->front();
      options.members.assign(args->begin() + 1, args->end() - 1);
      return cmd_flush(ctx, options, args->back());
    };
  });
}

}  // namespace

void add_member_commands(CLI::App& app, State& state) {
  add_restart(app, state);
  add_reload(app, state);
  add_reinit(app, state);
  add_flush(app, state);
}

}  // namespace pghalo::ctl::cli
