// The read-only commands: list, topology, history, show-config, dsn and version.
#include <cmath>

#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/list_view.h"
#include "ctl/member_select.h"
#include "ctl/member_status.h"
#include "ctl/yaml_text.h"

namespace pghalo::ctl {
namespace {

constexpr Duration kStatusTimeout = std::chrono::seconds(2);

Status list_one(Context& ctx, const std::string& name, const ListOptionsCmd& options) {
  auto store = open_store(ctx, name);
  auto cluster = read_cluster(ctx, *store, name);
  if (!cluster.ok()) return cluster.error();
  ClusterView view = view_cluster(*cluster);
  std::vector<MemberAddress> addresses;
  for (const auto& m : view.members) addresses.push_back({m.name, m.api_url});
  auto statuses = fetch_statuses(ctx.rest, addresses, std::min(ctx.settings.timeout, kStatusTimeout));
  ListOptions render;
  render.format = options.format;
  render.extended = options.extended;
  render.topology = options.topology;
  render.color = ctx.color && options.format == Format::kPretty;
  ctx.out << render_members(view, name, member_lags(view, statuses, cluster->status.optime.value),
                            render);
  if (view.members.empty() && !cluster->initialize && !cluster->config) {
    ctx.err << "no cluster '" << name << "' in etcd (nothing under " << store->layout().prefix()
            << "): check the cluster name and the namespace\n";
  }
  return ok_status();
}

}  // namespace

Status cmd_list(Context& ctx, const ListOptionsCmd& options) {
  std::vector<std::string> clusters = options.clusters;
  if (clusters.empty()) {
    auto name = cluster_name(ctx, std::nullopt);
    if (!name.ok()) return name.error();
    clusters.push_back(*name);
  }
  return watching(ctx, options.watch, options.count, true, [&]() -> Status {
    if (options.timestamp) ctx.out << local_timestamp(ctx.clock.wall_now(), 0) << "\n";
    for (const auto& name : clusters) PGHALO_TRY(list_one(ctx, name, options));
    return ok_status();
  });
}

Status cmd_history(Context& ctx, const OptionalText& cluster_arg, Format format) {
  auto name = cluster_name(ctx, cluster_arg);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  Rows rows;
  rows.columns = {"TL", "LSN", "Reason", "Timestamp", "New Leader"};
  rows.right_aligned = {"TL", "LSN"};
  if (cluster->history) {
    for (const auto& e : *cluster->history) {
      rows.rows.push_back({e.timeline.value, e.switch_lsn.value, e.reason, e.timestamp.value_or(""),
                           e.new_leader.value_or("")});
    }
  }
  ctx.out << render_rows(rows, format);
  return ok_status();
}

Status cmd_show_config(Context& ctx, const OptionalText& cluster_arg) {
  auto name = cluster_name(ctx, cluster_arg);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  ctx.out << dump_yaml(cluster->config.value_or(nlohmann::json::object())) << "\n";
  if (!cluster->config) {
    ctx.err << "cluster '" << *name << "' has no configuration in etcd (no "
            << store->layout().key(dcs::kConfigKey) << " key)\n";
  }
  return ok_status();
}

Status cmd_dsn(Context& ctx, const DsnOptions& options) {
  if (options.member && options.role) {
    return invalid("--role and --member are mutually exclusive options");
  }
  std::string role = options.member ? "any" : options.role.value_or("leader");
  PGHALO_TRY(check_role(role));
  auto name = cluster_name(ctx, options.cluster);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  for (const auto* m : members_with_role(*cluster, role)) {
    if (options.member && m->name.value != *options.member) continue;
    auto hp = conn_url_host(m->conn_url);
    if (!hp) continue;
    ctx.out << "host=" << hp->host << " port=" << hp->port << "\n";
    return ok_status();
  }
  if (options.member && cluster->member(model::MemberName(*options.member)) == nullptr) {
    return invalid("'" + *options.member + "' is not a member of cluster '" + *name +
                   "'; its members are: " + member_names(view_cluster(*cluster)));
  }
  return aborted("Can not find a suitable member (role " + role + ") in cluster '" + *name + "'");
}

Status cmd_version(Context& ctx, const OptionalText& cluster_arg,
                   const std::vector<std::string>& members) {
  ctx.out << "pghaloctl version " << PGHALO_VERSION << " (patronictl 3.0.2 compatible)\n";
  if (!cluster_arg) return ok_status();
  ctx.out << "\n";
  auto store = open_store(ctx, *cluster_arg);
  auto cluster = read_cluster(ctx, *store, *cluster_arg);
  if (!cluster.ok()) return cluster.error();
  std::vector<MemberAddress> addresses;
  for (const auto& [name, m] : cluster->members) {
    if (m.api_url.empty()) continue;
    if (!members.empty() && std::find(members.begin(), members.end(), name.value) == members.end()) {
      continue;
    }
    addresses.push_back({name.value, m.api_url});
  }
  auto statuses = fetch_statuses(ctx.rest, addresses, std::min(ctx.settings.timeout, kStatusTimeout));
  for (const auto& a : addresses) {
    const MemberStatus& s = statuses[a.name];
    if (!s.reachable) {
      ctx.out << a.name << ": failed to get version: " << s.error << "\n";
      continue;
    }
    std::string version = s.body.contains("patroni") && s.body["patroni"].is_object()
                              ? s.body["patroni"].value("version", "?")
                              : "?";
    ctx.out << a.name << ": Patroni " << version;
    if (s.body.contains("server_version") && s.body["server_version"].is_number_integer()) {
      long long v = s.body["server_version"].get<long long>();
      ctx.out << " PostgreSQL "
              << (v < 100000 ? std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) +
                                   "." + std::to_string(v % 100)
                             : std::to_string(v / 10000) + "." + std::to_string(v % 100));
    }
    ctx.out << "\n";
  }
  return ok_status();
}

}  // namespace pghalo::ctl
