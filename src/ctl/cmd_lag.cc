// lag: the seed's replication monitoring queries, run on the leader so nobody has to type them
// under stress: per standby the sent/write/flush/replay lag (each the gap between two stages,
// as the seed computes them) and the total (current WAL position minus replayed), and every
// replication slot with the WAL it retains. Members that are not streaming at all are listed
// too, since that is the first thing to notice.
#include <algorithm>
#include <set>

#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/pg_access.h"
#include "ctl/yaml_text.h"

namespace pghalo::ctl {
namespace {

constexpr Duration kLagQueryTimeout = std::chrono::seconds(10);

const char kWalPosition[] =
    "(SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_receive_lsn() "
    "ELSE pg_catalog.pg_current_wal_lsn() END AS lsn) w";

std::string lag_sql() {
  return std::string(
             "SELECT application_name, coalesce(pg_catalog.host(client_addr), 'local') AS client, state, "
             "sync_state, "
             "pg_catalog.pg_wal_lsn_diff(w.lsn, sent_lsn)::bigint AS sent_lag, "
             "pg_catalog.pg_wal_lsn_diff(sent_lsn, write_lsn)::bigint AS write_lag, "
             "pg_catalog.pg_wal_lsn_diff(write_lsn, flush_lsn)::bigint AS flush_lag, "
             "pg_catalog.pg_wal_lsn_diff(flush_lsn, replay_lsn)::bigint AS replay_lag, "
             "pg_catalog.pg_wal_lsn_diff(w.lsn, replay_lsn)::bigint AS total_lag, "
             "round(extract(epoch FROM replay_lag)::numeric, 3)::text AS replay_delay "
             "FROM pg_catalog.pg_stat_replication, ") +
         kWalPosition +
         " ORDER BY application_name;"
         "SELECT slot_name, slot_type, coalesce(database::text, '') AS database, active, "
         "pg_catalog.pg_wal_lsn_diff(w.lsn, restart_lsn)::bigint AS retained "
         "FROM pg_catalog.pg_replication_slots, " +
         kWalPosition + " ORDER BY slot_name";
}

nlohmann::json bytes_cell(const std::optional<std::string>& text, bool human) {
  if (!text) return "";
  auto value = parse_int64(*text);
  if (!value) return *text;
  if (!human) return *value;
  return *value < 0 ? "-" + human_bytes(static_cast<std::uint64_t>(-*value))
                    : human_bytes(static_cast<std::uint64_t>(*value));
}

std::string text_cell(const std::optional<std::string>& text) { return text.value_or(""); }

Rows replication_rows(const pg::QueryResult& r, const model::ClusterState& cluster, bool human) {
  Rows rows;
  rows.columns = {"Member",    "Client",    "State",      "Sync",      "Sent Lag",
                  "Write Lag", "Flush Lag", "Replay Lag", "Total Lag", "Replay Delay (s)"};
  rows.right_aligned = {"Sent Lag", "Write Lag", "Flush Lag", "Replay Lag", "Total Lag",
                        "Replay Delay (s)"};
  std::set<std::string> seen;
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    std::string name = text_cell(r.get(i, "application_name"));
    seen.insert(name);
    rows.rows.push_back({name, text_cell(r.get(i, "client")), text_cell(r.get(i, "state")),
                         text_cell(r.get(i, "sync_state")), bytes_cell(r.get(i, "sent_lag"), human),
                         bytes_cell(r.get(i, "write_lag"), human),
                         bytes_cell(r.get(i, "flush_lag"), human),
                         bytes_cell(r.get(i, "replay_lag"), human),
                         bytes_cell(r.get(i, "total_lag"), human),
                         text_cell(r.get(i, "replay_delay"))});
  }
  for (const auto& [name, member] : cluster.members) {
    if (cluster.is_leader(name) || seen.count(name.value)) continue;
    rows.rows.push_back({name.value, "", "not streaming (" + member.state + ")", "", "", "", "",
                         "", "", ""});
  }
  return rows;
}

Rows slot_rows(const pg::QueryResult& r, bool human) {
  Rows rows;
  rows.columns = {"Slot", "Type", "Database", "Active", "Retained WAL"};
  rows.right_aligned = {"Retained WAL"};
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    rows.rows.push_back({text_cell(r.get(i, "slot_name")), text_cell(r.get(i, "slot_type")),
                         text_cell(r.get(i, "database")),
                         r.get(i, "active") == "t" ? "yes" : "no",
                         bytes_cell(r.get(i, "retained"), human)});
  }
  return rows;
}

nlohmann::ordered_json as_objects(const Rows& rows) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& row : rows.rows) {
    nlohmann::ordered_json object;
    for (std::size_t c = 0; c < rows.columns.size(); ++c) object[rows.columns[c]] = row[c];
    list.push_back(std::move(object));
  }
  return list;
}

std::string render(Rows replication, Rows slots, Format format, const std::string& title) {
  if (format == Format::kJson || format == Format::kYaml) {
    nlohmann::ordered_json both;
    both["replication"] = as_objects(replication);
    both["slots"] = as_objects(slots);
    return format == Format::kJson ? python_json(both) + "\n" : dump_yaml(nlohmann::json(both));
  }
  replication.title = " Replication: " + title + " ";
  slots.title = " Replication slots ";
  return render_rows(replication, format) + (format == Format::kTsv ? "\n" : "") +
         render_rows(slots, format);
}

Status lag_once(Context& ctx, dcs::ClusterStore& store, const std::string& name,
                const LagOptions& o, const Credentials& credentials) {
  auto cluster = read_cluster(ctx, store, name);
  if (!cluster.ok()) return cluster.error();
  const model::Member* leader = cluster->leader_member();
  if (leader == nullptr) {
    return aborted("cluster '" + name + "' has no leader: there is no primary to ask about "
                   "replication (pghaloctl list shows the members)");
  }
  auto target = pg_target(*leader, credentials);
  if (!target.ok()) return target.error();
  auto results = ctx.sql.run(*target, lag_sql(), kLagQueryTimeout);
  if (!results.ok() || results->size() != 2) {
    std::string why = results.ok() ? "unexpected answer" : results.error().message;
    return aborted("cannot query " + describe_target(*leader, credentials) + ": " + why +
                   "\n(give a user that may read pg_stat_replication with -U, and its password "
                   "with --password, PGPASSWORD or ~/.pgpass)");
  }
  bool human = o.format == Format::kPretty;
  ctx.out << render(replication_rows((*results)[0], *cluster, human), slot_rows((*results)[1], human),
                    o.format, "lag behind the leader " + leader->name.value);
  return ok_status();
}

}  // namespace

Status cmd_lag(Context& ctx, const LagOptions& o) {
  auto name = cluster_name(ctx, o.cluster);
  if (!name.ok()) return name.error();
  auto credentials = credentials_from(ctx, o.username, o.password, o.dbname, ctx.settings.superuser);
  if (!credentials.ok()) return credentials.error();
  auto store = open_store(ctx, *name);
  return watching(ctx, o.watch, o.count, true,
                  [&] { return lag_once(ctx, *store, *name, o, *credentials); });
}

}  // namespace pghalo::ctl
