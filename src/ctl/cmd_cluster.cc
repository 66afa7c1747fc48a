// Cluster-wide commands: pause/resume (maintenance mode), flush (drop scheduled restarts or a
// scheduled switchover) and remove (delete the cluster's keys from etcd).
#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/list_view.h"
#include "ctl/member_select.h"

namespace pghalo::ctl {
namespace {

// Until every member that was there before shows the new pause state in its key.
Status wait_for_pause(Context& ctx, dcs::ClusterStore& store, const std::string& name,
                      const model::ClusterState& before, bool pause) {
  ctx.out << "'" << (pause ? "pause" : "resume")
          << "' request sent, waiting until it is recognized by all nodes\n";
  std::vector<std::string> watched;
  for (const auto& [n, m] : before.members) {
    if (!m.api_url.empty()) watched.push_back(n.value);
  }
  // Each agent rewrites its key within a cycle; two cycles allow for one that had just begun.
  Duration limit = std::chrono::seconds(2 * loop_wait_of(before) + 2);
  MonoTime start = ctx.clock.now(), end = start + limit;
  std::vector<std::string> pending = watched;
  std::size_t shown = watched.size() + 1;
  while (true) {
    auto cluster = read_cluster(ctx, store, name);
    if (cluster.ok()) {
      pending.clear();
      for (const auto& n : watched) {
        const model::Member* m = cluster->member(model::MemberName(n));
        if (m != nullptr && m->pause != pause) pending.push_back(n);
      }
    }
    if (pending.size() != shown) {
      ctx.out << "  +" << format_duration(ctx.clock.now() - start) << "  "
              << watched.size() - pending.size() << "/" << watched.size() << " members "
              << (pause ? "paused" : "resumed")
              << (pending.empty() ? "" : " (waiting for " + join(pending, ", ") + ")") << "\n";
      shown = pending.size();
    }
    if (pending.empty() || ctx.clock.now() >= end || ctx.interrupted()) break;
    ctx.sleep(std::chrono::milliseconds(500));
  }
  if (!pending.empty()) {
    return aborted(join(pending, ", ") + " didn't recognize the " +
                   (pause ? "pause" : "resume") + " within " + format_duration(limit) +
                   " (is its agent running? `pghaloctl list` shows the members)");
  }
  ctx.out << "Success: cluster management is " << (pause ? "paused" : "resumed") << " ("
          << format_duration(ctx.clock.now() - start) << ")\n";
  return ok_status();
}

Status flush_switchover(Context& ctx, dcs::ClusterStore& store, const model::ClusterState& cluster,
                        const std::string& name) {
  if (!cluster.has_failover_request() || !cluster.failover->scheduled_text) {
    ctx.out << "No pending scheduled switchover\n";
    return ok_status();
  }
  for (const auto* m : members_leader_first(cluster)) {
    RestRequest request{"DELETE", member_endpoint_url(m->api_url, "switchover"), std::nullopt,
                        ctx.settings.timeout};
    auto r = ctx.rest.send(request);
    if (!r.ok()) {
      ctx.err << "Member " << m->name.value << " is not accessible: " << r.error().message << "\n";
      continue;
    }
    if (r->status == 200 || r->status == 404) {
      ctx.out << (r->status == 200 ? "Success: " : "Failed: ") << r->body << "\n";
      return r->status == 200 ? ok_status() : aborted("the scheduled switchover was not removed");
    }
    ctx.out << "Failed: member=" << m->name.value << ", status_code=" << r->status << ", ("
            << r->body << ")\n";
  }
  ctx.out << local_timestamp(ctx.clock.wall_now(), 6)
          << " Could not find any accessible member of cluster " << name << "\n";
  auto cleared = store.write_failover(nlohmann::json::object(), cluster.failover_revision);
  if (!cleared.ok()) return cleared.error();
  if (!*cleared) return aborted("the failover key changed meanwhile: run flush again");
  ctx.out << "The scheduled switchover was removed from etcd\n";
  return ok_status();
}

}  // namespace

Status cmd_pause(Context& ctx, const OptionalText& cluster_arg, bool pause, bool wait) {
  auto name = cluster_name(ctx, cluster_arg);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  if (is_paused(*cluster) == pause) {
    return aborted(std::string("Cluster is ") + (pause ? "already paused" : "not paused"));
  }
  nlohmann::json body = {{"pause", pause ? nlohmann::json(true) : nlohmann::json()}};
  std::vector<std::string> unreachable;
  for (const auto* m : members_leader_first(*cluster)) {
    RestRequest request{"PATCH", member_endpoint_url(m->api_url, "config"), body.dump(),
                        ctx.settings.timeout};
    auto r = ctx.rest.send(request);
    if (!r.ok()) {
      ctx.err << "Member " << m->name.value << " is not accessible: " << r.error().message << "\n";
      unreachable.push_back(m->name.value);
      continue;
    }
    if (r->status != 200) {
      return aborted(std::string("Failed: ") + (pause ? "pause" : "resume") +
                     " cluster management status code=" + std::to_string(r->status) + ", (" +
                     r->body + ")");
    }
    if (wait) return wait_for_pause(ctx, *store, *name, *cluster, pause);
    ctx.out << "Success: cluster management is " << (pause ? "paused" : "resumed") << "\n";
    return ok_status();
  }
  return aborted("Can not find accessible cluster member" +
                 (unreachable.empty() ? std::string(" (no member has an api_url)")
                                      : " (tried " + join(unreachable, ", ") + ")"));
}

Status cmd_flush(Context& ctx, const MemberActionOptions& o, const std::string& target) {
  if (target != "restart" && target != "switchover") {
    return invalid("flush what? the last argument must be restart or switchover, not '" + target +
                   "'");
  }
  auto store = open_store(ctx, o.cluster);
  auto cluster = read_cluster(ctx, *store, o.cluster);
  if (!cluster.ok()) return cluster.error();
  if (target == "switchover") return flush_switchover(ctx, *store, *cluster, o.cluster);
  auto selection = select_members(ctx, *cluster, o.cluster, o, "flush", true);
  if (!selection.ok()) return selection.error();
  int failed = 0;
  for (const auto* m : selection->members) {
    if (!m->scheduled_restart.is_object()) {
      ctx.out << "No scheduled restart for member " << m->name.value << "\n";
      continue;
    }
    RestRequest request{"DELETE", member_endpoint_url(m->api_url, "restart"), std::nullopt,
                        ctx.settings.timeout};
    auto r = ctx.rest.send(request);
    if (r.ok() && r->status < 400) {
      ctx.out << "Success: flush scheduled restart for member " << m->name.value << "\n";
    } else {
      ++failed;
      ctx.out << "Failed: flush scheduled restart for member " << m->name.value << ", "
              << (r.ok() ? "status code=" + std::to_string(r->status) + ", (" + r->body + ")"
                         : r.error().message)
              << "\n";
    }
  }
  if (failed > 0) return aborted("flush failed on " + std::to_string(failed) + " member(s)");
  return ok_status();
}

Status cmd_remove(Context& ctx, const std::string& name, Format format) {
  auto store = open_store(ctx, name);
  auto cluster = read_cluster(ctx, *store, name);
  if (!cluster.ok()) return cluster.error();
  ListOptions list;
  list.format = format;
  ClusterView view = view_cluster(*cluster);
  ctx.out << render_members(view, name, member_lags(view, {}, cluster->status.optime.value), list);
  auto typed = ask(ctx, "Please confirm the cluster name to remove", std::nullopt);
  if (!typed.ok()) return typed.error();
  if (*typed != name) return aborted("Cluster names specified do not match");
  const std::string message = "Yes I am aware";
  auto aware = ask(ctx, "You are about to remove all information in DCS for " + name +
                            ", please type: \"" + message + "\"", std::nullopt);
  if (!aware.ok()) return aware.error();
  if (*aware != message) return aborted("You did not exactly type \"" + message + "\"");
  if (cluster->leader) {
    auto leader = ask(ctx, "This cluster currently is healthy. Please specify the leader name to "
                           "continue", std::nullopt);
    if (!leader.ok()) return leader.error();
    if (*leader != cluster->leader->name.value) {
      return aborted("You did not specify the current leader of the cluster");
    }
  }
  auto removed = store->remove_cluster();
  if (!removed.ok()) {
    return make_error(removed.error().code,
                      "cannot remove cluster " + name + " from etcd: " + removed.error().message);
  }
  ctx.out << "Removed every key of cluster " << name << " (" << store->layout().prefix()
          << ") from etcd. Its agents, if any still run, will write their keys again.\n";
  return ok_status();
}

}  // namespace pghalo::ctl
