// restart, reload and reinit: per-member REST calls with patronictl's questions and messages,
// plus progress while PostgreSQL restarts or a replica is rebuilt, and a failing exit code
// when any member failed (patronictl exits 0 even then).
#include <algorithm>
#include <random>
#include <regex>

#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/member_select.h"
#include "ctl/monitor.h"
#include "ctl/schedule.h"

namespace pghalo::ctl {
namespace {

RestRequest request_to(const model::Member& member, const std::string& method,
                       const std::string& endpoint, Duration timeout,
                       std::optional<std::string> body = std::nullopt) {
  RestRequest r;
  r.method = method;
  r.url = member_endpoint_url(member.api_url, endpoint);
  r.body = std::move(body);
  r.timeout = timeout;
  return r;
}

// patronictl's check_response(): prints the outcome; true when the member accepted.
bool check_response(Context& ctx, const Result<RestResponse>& r, const std::string& member,
                    const std::string& action, bool silent_success = false) {
  if (!r.ok()) {
    ctx.out << "Failed: " << action << " for member " << member << ", " << r.error().message << "\n";
    return false;
  }
  if (r->status >= 400) {
    ctx.out << "Failed: " << action << " for member " << member << ", status code=" << r->status
            << ", (" << r->body << ")\n";
    return false;
  }
  if (!silent_success) ctx.out << "Success: " << action << " for member " << member << "\n";
  return true;
}

Status failures(int failed, int total, const std::string& action) {
  if (failed == 0) return ok_status();
  return aborted(action + " failed on " + std::to_string(failed) + " of " + std::to_string(total) +
                 " member" + (total == 1 ? "" : "s"));
}

bool valid_pg_version(const std::string& v) {
  static const std::regex kVersion(R"(^\d+(\.\d+){1,2}$)");
  return std::regex_match(v, kVersion);
}

struct RestartPlan {
  std::optional<Scheduled> scheduled;
  nlohmann::ordered_json content = nlohmann::ordered_json::object();
};

Result<RestartPlan> plan_restart(Context& ctx, const RestartOptions& o,
                                 const model::ClusterState& cluster, Selection& selection) {
  RestartPlan p;
  auto scheduled = ask_schedule(ctx, o.scheduled, o.force, "restart", ") ");
  if (!scheduled.ok()) return scheduled.error();
  p.scheduled = *scheduled;
  if (!o.force) {
    std::vector<std::string> names;
    for (const auto* m : selection.members) names.push_back(m->name.value);
    std::string question =
        p.scheduled ? "Are you sure you want to schedule restart of members " + join(names, ", ") +
                          " at " + p.scheduled->iso + "?"
                    : "Are you sure you want to restart members " + join(names, ", ") + "?";
    auto yes = confirm(ctx, question);
    if (!yes.ok()) return yes.error();
    if (!*yes) return aborted(p.scheduled ? "Aborted scheduled restart" : "Aborted restart");
  }
  if (o.any && selection.members.size() > 1) {
    std::shuffle(selection.members.begin(), selection.members.end(),
                 std::mt19937(std::random_device{}()));
    selection.members.resize(1);
  }
  auto version = o.pg_version;
  if (!version && !o.force) {
    auto answer = ask(ctx, "Restart if the PostgreSQL version is less than provided (e.g. 9.5.2) ",
                      std::string());
    if (!answer.ok()) return answer.error();
    version = *answer;
  }
  if (o.pending) p.content["restart_pending"] = true;
  if (version && !version->empty()) {
    if (!valid_pg_version(*version)) {
      return invalid("--pg-version '" + *version + "' is not a PostgreSQL version (e.g. 15.4)");
    }
    p.content["postgres_version"] = *version;
  }
  if (p.scheduled) {
    if (is_paused(cluster)) return invalid("Can't schedule restart in the paused state");
    p.content["schedule"] = p.scheduled->iso;
  }
  if (o.timeout) p.content["timeout"] = *o.timeout;
  return p;
}

// Patroni answers a restart once PostgreSQL is up again (or its timeout passed).
Duration restart_timeout(const RestartOptions& o) {
  auto seconds = o.timeout ? parse_int64(std::string(trim(*o.timeout))) : std::nullopt;
  return std::chrono::seconds(seconds && *seconds > 0 ? *seconds + 30 : 330);
}

bool restart_one(Context& ctx, const model::Member& member, const RestartPlan& p,
                 const RestartOptions& o, bool is_leader) {
  const std::string& name = member.name.value;
  if (p.scheduled && o.force && member.scheduled_restart.is_object()) {
    auto flushed = ctx.rest.send(request_to(member, "DELETE", "restart", ctx.settings.timeout));
    check_response(ctx, flushed, name, "flush scheduled restart", true);
  }
  RestRequest request =
      request_to(member, "POST", "restart", restart_timeout(o), p.content.dump());
  Result<RestResponse> r = make_error(ErrorCode::kInternal, "not sent");
  OperationMonitor monitor(ctx, "restart " + name, {{name, member.api_url}});
  if (p.scheduled) {
    r = ctx.rest.send(request);
  } else {
    r = send_while_monitoring(ctx, monitor, request);
    // The agent may answer before its REST status shows PostgreSQL running again; one poll after
    // the answer at least, so a restart quicker than the poll interval is seen by its new
    // postmaster start time.
    monitor.poll();
    poll_until(ctx, monitor, [&] {
      const MemberStatus& s = monitor.latest().at(name);
      return s.reachable && s.state == "running";
    }, std::chrono::seconds(15));
    monitor.finish();
  }
  if (r.ok() && r->status == 200) {
    ctx.out << "Success: restart on member " << name << "\n";
    if (auto down = monitor.downtime(name)) {
      ctx.out << "  PostgreSQL on " << name << " was down for "
              << format_range(down->first, down->second) << "\n";
    }
    if (is_leader) ctx.out << "  " << monitor.describe_write_outage() << "\n";
    return true;
  }
  if (r.ok() && r->status == 202) {
    ctx.out << "Success: restart scheduled on member " << name << "\n";
    return true;
  }
  if (r.ok() && r->status == 409) {
    ctx.out << "Failed: another restart is already scheduled on member " << name
            << " (pghaloctl flush " << o.cluster << " " << name << " restart removes it)\n";
    return false;
  }
  if (!r.ok()) {
    ctx.out << "Failed: restart for member " << name << ", " << r.error().message << "\n";
    return false;
  }
  ctx.out << "Failed: restart for member " << name << ", status code=" << r->status << ", ("
          << r->body << ")\n";
  return false;
}

// reinit --wait: until the member has been rebuilding and is no longer.
bool wait_for_reinit(Context& ctx, const model::Member& member, const ReinitOptions& o,
                     long long loop_wait) {
  const std::string& name = member.name.value;
  ctx.out << "Waiting for reinitialize to complete on: " << name << "\n";
  OperationMonitor monitor(ctx, "reinitialize " + name, {{name, member.api_url}});
  bool started = false;
  MonoTime start_deadline = ctx.clock.now() + std::chrono::seconds(2 * loop_wait + 5);
  monitor.poll();
  poll_until(ctx, monitor, [&] {
    const MemberStatus& s = monitor.latest().at(name);
    if (!started) {
      if (s.reachable && s.state == "running") return ctx.clock.now() >= start_deadline;
      started = true;
    }
    // Rebuilding goes through stopping, creating replica and starting; it ends running, or in
    // a failed state that the agent will not leave by itself.
    return s.reachable && (s.state == "running" || s.state.find("failed") != std::string::npos);
  }, o.wait_timeout);
  monitor.finish();
  const MemberStatus& s = monitor.latest().at(name);
  if (s.reachable && s.state == "running") {
    ctx.out << "Reinitialize is completed on: " << name << " (" << format_duration(monitor.elapsed())
            << ", now " << s.role << ", " << s.state << ")\n";
    return true;
  }
  ctx.out << "Failed: reinitialize on " << name << " did not complete within "
          << format_duration(monitor.elapsed()) << " (last seen: "
          << (s.reachable ? s.state : "not answering") << ")\n";
  return false;
}

}  // namespace

Status cmd_restart(Context& ctx, const RestartOptions& o) {
  auto store = open_store(ctx, o.cluster);
  auto cluster = read_cluster(ctx, *store, o.cluster);
  if (!cluster.ok()) return cluster.error();
  auto selection = select_members(ctx, *cluster, o.cluster, o, "restart", false);
  if (!selection.ok()) return selection.error();
  auto p = plan_restart(ctx, o, *cluster, *selection);
  if (!p.ok()) return p.error();
  int failed = 0;
  for (const auto* m : selection->members) {
    if (!restart_one(ctx, *m, *p, o, cluster->is_leader(m->name))) ++failed;
  }
  return failures(failed, static_cast<int>(selection->members.size()), "restart");
}

Status cmd_reload(Context& ctx, const MemberActionOptions& o) {
  auto store = open_store(ctx, o.cluster);
  auto cluster = read_cluster(ctx, *store, o.cluster);
  if (!cluster.ok()) return cluster.error();
  auto selection = select_members(ctx, *cluster, o.cluster, o, "reload", true);
  if (!selection.ok()) return selection.error();
  int failed = 0;
  for (const auto* m : selection->members) {
    auto r = ctx.rest.send(request_to(*m, "POST", "reload", ctx.settings.timeout));
    const std::string& name = m->name.value;
    if (r.ok() && r->status == 200) {
      ctx.out << "No changes to apply on member " << name << "\n";
    } else if (r.ok() && r->status == 202) {
      ctx.out << "Reload request received for member " << name
              << " and will be processed within " << loop_wait_of(*cluster) << " seconds\n";
    } else {
      ++failed;
      ctx.out << "Failed: reload for member " << name << ", "
              << (r.ok() ? "status code=" + std::to_string(r->status) + ", (" + r->body + ")"
                         : r.error().message)
              << "\n";
    }
  }
  return failures(failed, static_cast<int>(selection->members.size()), "reload");
}

Status cmd_reinit(Context& ctx, const ReinitOptions& o) {
  auto store = open_store(ctx, o.cluster);
  auto cluster = read_cluster(ctx, *store, o.cluster);
  if (!cluster.ok()) return cluster.error();
  MemberActionOptions select = o;
  select.role = "replica";
  for (const auto& name : o.members) {
    if (cluster->is_leader(model::MemberName(name))) {
      return invalid(name + " is the leader of cluster " + o.cluster +
                     ": only replicas can be reinitialized (switch over first)");
    }
  }
  auto selection = select_members(ctx, *cluster, o.cluster, select, "reinitialize", true);
  if (!selection.ok()) return selection.error();
  int failed = 0;
  for (const auto* m : selection->members) {
    bool force = o.force;
    bool started = false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      nlohmann::json body = {{"force", force}};
      auto r = ctx.rest.send(request_to(*m, "POST", "reinitialize", ctx.settings.timeout, body.dump()));
      started = check_response(ctx, r, m->name.value, "reinitialize");
      if (started || force || !r.ok() || !r->body.ends_with(" already in progress")) break;
      auto yes = confirm(ctx, "Do you want to cancel it and reinitialize anyway?");
      if (!yes.ok()) return yes.error();
      if (!*yes) break;
      force = true;
    }
    if (started && o.wait && !wait_for_reinit(ctx, *m, o, loop_wait_of(*cluster))) started = false;
    if (!started) ++failed;
  }
  return failures(failed, static_cast<int>(selection->members.size()), "reinitialize");
}

}  // namespace pghalo::ctl
