// Subcommands that read: list, topology, history, show-config, dsn, version, query, lag.
#include <fstream>
#include <sstream>

#include "ctl/cli_internal.h"

namespace pghalo::ctl::cli {
namespace {

Result<Format> format_of(const std::string& text) { return parse_format(text); }

void add_list(CLI::App& app, State& state, bool topology) {
  CLI::App* sub = topology ? app.add_subcommand("topology", "Prints ASCII topology for given cluster")
                           : app.add_subcommand("list", "List the Patroni members for a given Patroni");
  auto o = std::make_shared<ListOptionsCmd>();
  auto format = std::make_shared<std::string>("pretty");
  auto common = std::make_shared<Common>();
  sub->add_option("cluster_names", o->clusters, "Clusters to list (default: the scope)");
  add_group(sub, *common);
  if (!topology) {
    sub->add_flag("-e,--extended", o->extended, "Show some extra information");
    sub->add_flag("-t,--timestamp", o->timestamp, "Print timestamp");
    sub->add_option("-f,--format", *format, "Output format (pretty, tsv, json, yaml)");
  }
  add_watch(sub, *common);
  sub->callback([&state, o, format, common, topology] {
    state.action = [o, format, common, topology](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      auto f = format_of(*format);
      if (!f.ok()) return f.error();
      ListOptionsCmd options = *o;
      options.format = *f;
      options.topology = topology;
      options.watch = watch_of(*common);
      options.count = count_of(*common);
      return cmd_list(ctx, options);
    };
  });
}

void add_history_and_config(CLI::App& app, State& state) {
  CLI::App* history = app.add_subcommand("history", "Show the history of failovers/switchovers");
  auto cluster = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("pretty");
  auto common = std::make_shared<Common>();
  history->add_option("cluster_name", *cluster, "Cluster (default: the scope)");
  add_group(history, *common);
  history->add_option("-f,--format", *format, "Output format (pretty, tsv, json, yaml)");
  history->callback([&state, cluster, format, common] {
    state.action = [cluster, format, common](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      auto f = format_of(*format);
      if (!f.ok()) return f.error();
      return cmd_history(ctx, cluster->empty() ? OptionalText() : OptionalText(*cluster), *f);
    };
  });

  CLI::App* show = app.add_subcommand("show-config", "Show cluster configuration");
  auto show_cluster = std::make_shared<std::string>();
  auto show_common = std::make_shared<Common>();
  show->add_option("cluster_name", *show_cluster, "Cluster (default: the scope)");
  add_group(show, *show_common);
  show->callback([&state, show_cluster, show_common] {
    state.action = [show_cluster, show_common](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*show_common));
      return cmd_show_config(ctx, show_cluster->empty() ? OptionalText() : OptionalText(*show_cluster));
    };
  });
}

void add_dsn_and_version(CLI::App& app, State& state) {
  CLI::App* dsn = app.add_subcommand(
      "dsn", "Generate a dsn for the provided member, defaults to a dsn of the leader");
  auto o = std::make_shared<DsnOptions>();
  auto role = std::make_shared<std::string>();
  auto member = std::make_shared<std::string>();
  auto cluster = std::make_shared<std::string>();
  auto common = std::make_shared<Common>();
  CLI::Option* role_option = add_role(dsn, *role, "Give a dsn of any member with this role");
  CLI::Option* member_option = dsn->add_option("-m,--member", *member, "Generate a dsn for this member");
  dsn->add_option("cluster_name", *cluster, "Cluster (default: the scope)");
  add_group(dsn, *common);
  dsn->callback([&state, o, role, member, cluster, common, role_option, member_option] {
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      DsnOptions options;
      if (!cluster->empty()) options.cluster = *cluster;
      if (role_option->count()) options.role = *role;
      if (member_option->count()) options.member = *member;
      return cmd_dsn(ctx, options);
    };
  });

  CLI::App* version = app.add_subcommand(
      "version", "Output version of pghaloctl or of the agents of a cluster");
  auto version_cluster = std::make_shared<std::string>();
  auto members = std::make_shared<std::vector<std::string>>();
  auto version_common = std::make_shared<Common>();
  version->add_option("cluster_name", *version_cluster, "Cluster whose agents to ask");
  version->add_option("member_names", *members, "Members to ask (default: all)");
  add_group(version, *version_common);
  version->callback([&state, version_cluster, members, version_common] {
    state.needs_config = !version_cluster->empty();
    state.action = [=](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*version_common));
      return cmd_version(ctx, version_cluster->empty() ? OptionalText() : OptionalText(*version_cluster),
                         *members);
    };
  });
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid("cannot read " + path + ": no such file or no permission");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Shared by query and lag: -U, --password, -d.
struct Login {
  std::string username, dbname;
  bool password = false;
  CLI::Option* username_option = nullptr;
  CLI::Option* dbname_option = nullptr;
  void add(CLI::App* sub) {
    username_option = sub->add_option("-U,--username", username, "database user name");
    sub->add_flag("--password", password, "force password prompt");
    dbname_option = sub->add_option("-d,--dbname", dbname, "database name to connect to");
  }
  OptionalText user() const { return username_option->count() ? OptionalText(username) : std::nullopt; }
  OptionalText db() const { return dbname_option->count() ? OptionalText(dbname) : std::nullopt; }
};

void add_query(CLI::App& app, State& state) {
  CLI::App* sub = app.add_subcommand("query", "Query a Patroni PostgreSQL member");
  auto o = std::make_shared<QueryOptions>();
  auto s = std::make_shared<std::map<std::string, std::string>>();
  auto login = std::make_shared<Login>();
  auto common = std::make_shared<Common>();
  auto format = std::make_shared<std::string>("tsv");
  sub->add_option("cluster_name", (*s)["cluster"], "Cluster (default: the scope)");
  add_group(sub, *common);
  sub->add_option("--format", *format, "Output format (pretty, tsv, json, yaml)");
  CLI::Option* file = sub->add_option("-f,--file", (*s)["file"], "Execute the SQL commands from this file");
  login->add(sub);
  add_watch(sub, *common);
  CLI::Option* role = add_role(sub, (*s)["role"], "The role of the query");
  CLI::Option* member = sub->add_option("-m,--member", (*s)["member"], "Query a specific member");
  sub->add_option("--delimiter", o->delimiter, "The column delimiter");
  CLI::Option* command = sub->add_option("-c,--command", (*s)["command"], "The SQL commands to execute");
  sub->callback([&state, o, s, login, common, format, file, role, member, command] {
    state.action = [=, &state](Context& ctx) -> Status {
      PGHALO_TRY(check_group(*common));
      auto f = format_of(*format);
      if (!f.ok()) return f.error();
      QueryOptions options = *o;
      options.format = *f;
      if (!(*s)["cluster"].empty()) options.cluster = (*s)["cluster"];
      if (file->count()) {
        options.file = (*s)["file"];
        auto text = options.file == "-" ? Result<std::string>(state.deps->read_stdin())
                                        : read_file(*options.file);
        if (!text.ok()) return text.error();
        options.file_text = *text;
      }
      if (role->count()) options.role = (*s)["role"];
      if (member->count()) options.member = (*s)["member"];
      if (command->count()) options.command = (*s)["command"];
      options.username = login->user();
      options.dbname = login->db();
      options.password = login->password;
      options.watch = watch_of(*common);
      options.count = count_of(*common);
      return cmd_query(ctx, options);
    };
  });
}

void add_lag(CLI::App& app, State& state) {
  CLI::App* sub = app.add_subcommand(
      "lag", "Show replication lag per standby and the WAL each slot retains (on the leader)");
  auto cluster = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("pretty");
  auto login = std::make_shared<Login>();
  auto common = std::make_shared<Common>();
  sub->add_option("cluster_name", *cluster, "Cluster (default: the scope)");
  sub->add_option("-f,--format", *format, "Output format (pretty, tsv, json, yaml)");
  login->add(sub);
  add_watch(sub, *common);
  sub->callback([&state, cluster, format, login, common] {
    state.action = [=](Context& ctx) -> Status {
      auto f = format_of(*format);
      if (!f.ok()) return f.error();
      LagOptions options;
      if (!cluster->empty()) options.cluster = *cluster;
      options.format = *f;
      options.username = login->user();
      options.dbname = login->db();
      options.password = login->password;
      options.watch = watch_of(*common);
      options.count = count_of(*common);
      return cmd_lag(ctx, options);
    };
  });
}

}  // namespace

void add_read_commands(CLI::App& app, State& state) {
  add_list(app, state, false);
  add_list(app, state, true);
  add_history_and_config(app, state);
  add_dsn_and_version(app, state);
  add_query(app, state);
  add_lag(app, state);
}

}  // namespace pghalo::ctl::cli
