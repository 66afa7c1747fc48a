#include "ctl/cli.h"

#include <algorithm>
#include <optional>
#include <set>

#include "ctl/cli_internal.h"

namespace pghalo::ctl {
namespace cli {

void add_group(CLI::App* sub, Common& common) {
  common.group = sub->add_option("--group", *common.group_value, "Citus group (not supported)");
}

void add_watch(CLI::App* sub, Common& common) {
  common.watch_flag = sub->add_flag("-W", *common.watch_every_2s,
                                    "Auto update the screen every 2 seconds");
  common.watch = sub->add_option("-w,--watch", *common.watch_value,
                                 "Auto update the screen every X seconds");
  common.count_option = sub->add_option("--count", *common.count,
                                        "With -W/-w: stop after this many updates")
                            ->check(CLI::PositiveNumber);
}

Status check_group(const Common& common) {
  if (common.group != nullptr && common.group->count() > 0) {
    return invalid("--group: Citus clusters are not supported by pghalo");
  }
  return ok_status();
}

std::optional<double> watch_of(const Common& common) {
  if (common.watch != nullptr && common.watch->count() > 0) return *common.watch_value;
  if (*common.watch_every_2s) return 2.0;
  return std::nullopt;
}

std::optional<int> count_of(const Common& common) {
  if (common.count_option != nullptr && common.count_option->count() > 0) return *common.count;
  return std::nullopt;
}

CLI::Option* add_role(CLI::App* sub, std::string& role, const std::string& help) {
  return sub->add_option("-r,--role", role, help)
      ->check(CLI::IsMember(
          {"leader", "primary", "standby-leader", "replica", "standby", "any", "master"}));
}

}  // namespace cli

int exit_code_for(const Error& error) { return error.code == ErrorCode::kInvalidArgument ? 2 : 1; }

namespace {

bool color_allowed(const CliDeps& deps, bool no_color) {
  if (no_color || !deps.stdout_is_terminal) return false;
  auto it = deps.environment.find("NO_COLOR");
  if (it != deps.environment.end() && !it->second.empty()) return false;
  it = deps.environment.find("TERM");
  return it == deps.environment.end() || it->second != "dumb";
}

// etcd for a command that needs none (version without a cluster): every call is refused.
class NoKv final : public dcs::etcd::KvApi {
 public:
  Result<dcs::etcd::RangeResponse> range(const std::string&, const std::string&, bool,
                                         Duration) override {
    return refuse();
  }
  Result<model::Revision> put(const dcs::etcd::PutOp&, Duration) override { return refuse(); }
  Result<dcs::etcd::TxnResponse> txn(const dcs::etcd::TxnRequest&, Duration) override {
    return refuse();
  }
  Result<std::int64_t> delete_range(const dcs::etcd::DeleteOp&, Duration) override {
    return refuse();
  }
  Result<dcs::etcd::LeaseGrant> lease_grant(std::int64_t, Duration) override { return refuse(); }
  Result<std::optional<std::int64_t>> lease_keepalive(model::LeaseId, Duration) override {
    return refuse();
  }
  Status lease_revoke(model::LeaseId, Duration) override { return refuse(); }
  Status watch(const std::string&, const std::string&, model::Revision,
               const std::function<bool(const dcs::etcd::WatchBatch&)>&,
               const std::atomic<bool>&) override {
    return refuse();
  }

 private:
  static Error refuse() { return invalid("no etcd is configured for this command"); }
};

std::string single_spaced(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

// The first word that is not a global option, when it names no subcommand.
std::optional<std::string> unknown_command(CLI::App& app, const std::vector<std::string>& args) {
  static const std::set<std::string> kWithValue = {"-c", "--config-file", "-d", "--dcs-url",
                                                   "--dcs", "--request-timeout"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (kWithValue.count(a)) {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name() == a) return std::nullopt;
    }
    return a;
  }
  return std::nullopt;
}

int fail(CliDeps& deps, const Error& error) {
  *deps.err << "pghaloctl: " << error.message << "\n";
  return exit_code_for(error);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, CliDeps& deps) {
  cli::State state;
  state.deps = &deps;
  CLI::App app{"pghaloctl: operate a pghalo (or Patroni) PostgreSQL cluster, like patronictl",
               "pghaloctl"};
  app.require_subcommand(1);
  app.fallthrough(false);
  app.add_option("-c,--config-file", state.global.config_file,
                 "Configuration file (the agent's YAML; default $PATRONICTL_CONFIG_FILE or "
                 "~/.config/patroni/patronictl.yaml)");
  app.add_option("-d,--dcs-url,--dcs", state.global.dcs_url,
                 "The DCS connect url (etcd3://host:port[,host:port][/namespace])");
  app.add_flag("-k,--insecure", state.global.insecure,
               "Allow connections to SSL sites without certs");
  app.add_option("--request-timeout", state.request_timeout,
                 "Seconds each etcd or REST request may take (default 10)")
      ->check(CLI::Range(1.0, 600.0));
  app.add_flag("--no-color", state.no_color, "Never colour the output");
  cli::add_read_commands(app, state);
  cli::add_member_commands(app, state);
  cli::add_change_commands(app, state);

  if (auto unknown = unknown_command(app, args)) {
    return fail(deps, invalid("unknown command '" + *unknown +
                              "' (pghaloctl --help lists the commands)"));
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    *deps.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    *deps.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string where;
    for (const auto* sub : app.get_subcommands()) where = " " + sub->get_name();
    *deps.err << "pghaloctl:" << (where.empty() ? "" : where + ":") << " " << single_spaced(e.what())
              << "\nRun 'pghaloctl" << where << " --help' for the options.\n";
    return 2;
  }
  if (!state.action) return fail(deps, invalid("no command given (pghaloctl --help lists them)"));
  state.global.timeout = Duration(static_cast<long long>(state.request_timeout * 1000));

  CtlSettings settings;
  if (state.needs_config) {
    auto loaded = load_settings(state.global, deps.environment, deps.host);
    if (!loaded.ok()) return fail(deps, loaded.error());
    settings = std::move(loaded).value();
  }
  settings.timeout = state.global.timeout;
  std::unique_ptr<dcs::etcd::KvApi> kv =
      state.needs_config ? deps.make_kv(settings) : std::make_unique<NoKv>();
  std::unique_ptr<RestClient> rest = deps.make_rest(settings);
  Context ctx{settings,   *kv,        *rest,       *deps.sql,      *deps.runner, *deps.clock,
              deps.sleep, *deps.out,  *deps.err,   *deps.prompter};
  ctx.interactive = deps.stdout_is_terminal;
  ctx.color = color_allowed(deps, state.no_color);
  ctx.interrupted = deps.interrupted;
  ctx.run_attached = deps.run_attached;
  Status status = state.action(ctx);
  deps.out->flush();
  if (!status.ok()) return fail(deps, status.error());
  return 0;
}

}  // namespace pghalo::ctl
