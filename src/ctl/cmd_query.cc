// query: SQL on a member chosen by role or name, as patronictl runs it (the member's conn_url
// host and port; user, password and database from the options or libpq's environment).
#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/member_select.h"
#include "ctl/pg_access.h"

namespace pghalo::ctl {
namespace {

constexpr Duration kQueryTimeout = std::chrono::seconds(60);

struct Answer {
  std::vector<std::string> columns;  // empty: a message row
  std::vector<std::vector<nlohmann::json>> rows;
  bool failed = false;
};

Answer message_row(Context& ctx, const std::string& message, bool failed) {
  Answer a;
  a.rows.push_back({local_timestamp(ctx.clock.wall_now(), 0), message});
  a.failed = failed;
  return a;
}

Answer run_on(Context& ctx, const model::ClusterState& cluster, const QueryOptions& o,
              const std::string& role, const std::string& sql, const Credentials& credentials) {
  const model::Member* member = nullptr;
  for (const auto* m : members_with_role(cluster, role)) {
    if (o.member && m->name.value != *o.member) continue;
    member = m;
    break;
  }
  if (member == nullptr) {
    return message_row(ctx, o.member ? "No connection to member " + *o.member + " is available"
                                     : "No connection to role=" + role + " is available",
                       true);
  }
  auto target = pg_target(*member, credentials);
  if (!target.ok()) return message_row(ctx, target.error().message, true);
  if (role != "any" && role != "leader") {
    auto recovery = ctx.sql.run(*target, "SELECT pg_catalog.pg_is_in_recovery()", kQueryTimeout);
    if (!recovery.ok()) return message_row(ctx, "ERROR: " + recovery.error().message, true);
    bool in_recovery = recovery->front().get(0, recovery->front().columns.front()) == "t";
    bool wants_replica = role == "replica" || role == "standby" || role == "standby-leader";
    if (in_recovery != wants_replica) {
      return message_row(ctx, "No connection to role=" + role + " is available", true);
    }
  }
  auto results = ctx.sql.run(*target, sql, kQueryTimeout);
  if (!results.ok()) return message_row(ctx, "ERROR: " + results.error().message, true);
  Answer a;
  if (results->empty()) return a;
  const pg::QueryResult& last = results->back();
  a.columns = last.columns;
  for (const auto& row : last.rows) {
    std::vector<nlohmann::json> cells;
    for (const auto& cell : row) cells.push_back(cell ? nlohmann::json(*cell) : nlohmann::json());
    a.rows.push_back(std::move(cells));
  }
  return a;
}

}  // namespace

Status cmd_query(Context& ctx, const QueryOptions& o) {
  if (o.member && o.role) return invalid("--role and --member are mutually exclusive options");
  if (o.file && o.command) return invalid("--file and --command are mutually exclusive options");
  if (!o.file && !o.command) return invalid("You need to specify either --command or --file");
  std::string role = o.member ? "any" : o.role.value_or("leader");
  PGHALO_TRY(check_role(role));
  auto name = cluster_name(ctx, o.cluster);
  if (!name.ok()) return name.error();
  auto credentials = credentials_from(ctx, o.username, o.password, o.dbname, std::nullopt);
  if (!credentials.ok()) return credentials.error();
  std::string sql = o.file ? o.file_text : *o.command;
  auto store = open_store(ctx, *name);
  bool any_failed = false;
  PGHALO_TRY(watching(ctx, o.watch, o.count, false, [&]() -> Status {
    auto cluster = read_cluster(ctx, *store, *name);
    if (!cluster.ok()) return cluster.error();
    if (o.member && cluster->member(model::MemberName(*o.member)) == nullptr) {
      return invalid("'" + *o.member + "' is not a member of cluster '" + *name +
                     "'; its members are: " + member_names(view_cluster(*cluster)));
    }
    Answer a = run_on(ctx, *cluster, o, role, sql, *credentials);
    any_failed = any_failed || a.failed;
    Rows rows;
    rows.columns = a.columns;
    rows.rows = std::move(a.rows);
    rows.delimiter = o.delimiter;
    ctx.out << render_rows(rows, o.format);
    return ok_status();
  }));
  if (any_failed && !o.watch) return aborted("the query did not run (see the message above)");
  return ok_status();
}

}  // namespace pghalo::ctl
