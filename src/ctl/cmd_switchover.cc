// switchover and failover: patronictl's checks and questions, then POST /switchover (or
// /failover) to the leader, watching the members until a primary accepts writes again, and
// reporting how long writes were unavailable. Falls back to writing `/failover` in etcd when
// no agent can be reached, as patronictl does.
#include <algorithm>

#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/member_select.h"
#include "ctl/monitor.h"
#include "ctl/schedule.h"

namespace pghalo::ctl {
namespace {

struct Plan {
  std::string action;  // "switchover" or "failover"
  std::optional<std::string> leader, candidate;
  std::optional<Scheduled> scheduled;
};

std::string title(const std::string& action) {
  std::string out = action;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string python_list(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back("'" + n + "'");
  return "[" + join(quoted, ", ") + "]";
}

std::vector<std::string> candidates_for(const model::ClusterState& cluster,
                                        const std::optional<std::string>& leader) {
  std::vector<std::string> names;
  for (const auto& [name, member] : cluster.members) {
    if (leader && name.value == *leader) continue;
    if (member.tags.nofailover) continue;
    names.push_back(name.value);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// patronictl's checks and questions, in its order.
Result<Plan> plan(Context& ctx, const model::ClusterState& cluster, const std::string& name,
                  const SwitchoverOptions& options) {
  Plan p;
  p.action = options.failover && !options.leader ? "failover" : "switchover";
  std::optional<std::string> current;
  if (cluster.leader) current = cluster.leader->name.value;
  if (p.action == "switchover" && !current) {
    return aborted("This cluster has no leader: a switchover needs one to hand over from; use "
                   "failover --candidate NAME to promote a replica");
  }
  p.leader = options.leader;
  if (!p.leader) {
    if (options.force || p.action == "failover") {
      p.leader = current;
    } else {
      auto answer = ask(ctx, is_standby_cluster(cluster) ? "Standby Leader" : "Primary", current);
      if (!answer.ok()) return answer.error();
      p.leader = *answer;
    }
  }
  if (p.leader && current && *p.leader != *current) {
    return invalid("Member " + *p.leader + " is not the leader of cluster " + name +
                   " (the leader is " + *current + ")");
  }
  auto candidates = candidates_for(cluster, p.leader);
  if (candidates.empty()) {
    return aborted("No candidates found to " + p.action + " to: every other member is absent "
                   "or tagged nofailover");
  }
  p.candidate = options.candidate;
  if (!p.candidate && !options.force) {
    auto answer = ask(ctx, "Candidate " + python_list(candidates), std::string());
    if (!answer.ok()) return answer.error();
    if (!answer->empty()) p.candidate = *answer;
  }
  if (p.action == "failover" && !p.candidate) {
    return invalid("Failover could be performed only to a specific candidate (--candidate; "
                   "candidates: " + join(candidates, ", ") + ")");
  }
  if (p.candidate && p.leader && *p.candidate == *p.leader) {
    return invalid(title(p.action) + " target and source are the same.");
  }
  if (p.candidate && std::find(candidates.begin(), candidates.end(), *p.candidate) == candidates.end()) {
    return invalid("Member " + *p.candidate + " does not exist in cluster " + name +
                   " or is tagged nofailover; candidates: " + join(candidates, ", "));
  }
  if (p.action == "switchover") {
    auto scheduled = ask_schedule(ctx, options.scheduled, options.force, "switchover", " ) ");
    if (!scheduled.ok()) return scheduled.error();
    p.scheduled = *scheduled;
    if (p.scheduled && is_paused(cluster)) {
      return invalid("Can't schedule switchover in the paused state");
    }
  }
  return p;
}

Status confirm_plan(Context& ctx, const Plan& p, const std::string& name, bool force) {
  if (force) return ok_status();
  std::string demote = p.leader ? ", demoting current leader " + *p.leader : "";
  std::string question =
      p.scheduled ? "Are you sure you want to schedule " + p.action + " of cluster " + name +
                        " at " + p.scheduled->iso + demote + "?"
                  : "Are you sure you want to " + p.action + " cluster " + name + demote + "?";
  auto yes = confirm(ctx, question);
  if (!yes.ok()) return yes.error();
  if (!*yes) return aborted(std::string(p.scheduled ? "Aborting scheduled " : "Aborting ") + p.action);
  return ok_status();
}

std::string request_body(const Plan& p) {
  nlohmann::ordered_json body;
  body["leader"] = p.leader ? nlohmann::ordered_json(*p.leader) : nlohmann::ordered_json();
  body["candidate"] = p.candidate ? nlohmann::ordered_json(*p.candidate) : nlohmann::ordered_json();
  body["scheduled_at"] = p.scheduled ? nlohmann::ordered_json(p.scheduled->iso) : nlohmann::ordered_json();
  return body.dump();
}

// Patroni's REST handler polls for up to 2 * max(10, loop_wait) s; give it that and a margin.
Duration request_timeout(const model::ClusterState& cluster) {
  return std::chrono::seconds(2 * std::max(10LL, loop_wait_of(cluster)) + 10);
}

Status fall_back_to_etcd(Context& ctx, dcs::ClusterStore& store, const Plan& p,
                         const Error& why) {
  ctx.out << local_timestamp(ctx.clock.wall_now(), 6) << " Could not " << p.action
          << " using Patroni api, falling back to DCS (" << why.message << ")\n";
  nlohmann::json request = nlohmann::json::object();
  if (p.leader) request["leader"] = *p.leader;
  if (p.candidate) request["member"] = *p.candidate;
  if (p.scheduled) request["scheduled_at"] = p.scheduled->iso;
  auto written = store.write_failover(request, std::nullopt);
  if (!written.ok()) {
    return make_error(written.error().code,
                      "the agents cannot be reached and the request could not be written to "
                      "etcd either: " + written.error().message);
  }
  ctx.out << "The " << p.action << " request is in etcd; the leader acts on it within loop_wait.\n";
  return ok_status();
}

}  // namespace

Status cmd_switchover(Context& ctx, const SwitchoverOptions& options) {
  auto name = cluster_name(ctx, options.cluster);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  ctx.out << "Current cluster topology\n";
  print_members(ctx, *cluster, *name);
  auto p = plan(ctx, *cluster, *name, options);
  if (!p.ok()) return p.error();
  PGHALO_TRY(confirm_plan(ctx, *p, *name, options.force));

  const model::Member* target = cluster->leader_member();
  if (target == nullptr && p->candidate) target = cluster->member(model::MemberName(*p->candidate));
  std::vector<MemberAddress> watched;
  for (const auto& [n, m] : cluster->members) watched.push_back({n.value, m.api_url});
  OperationMonitor monitor(ctx, p->action, watched);

  RestRequest request;
  request.method = "POST";
  request.body = request_body(*p);
  request.timeout = request_timeout(*cluster);
  Result<RestResponse> answer = make_error(ErrorCode::kUnavailable, "the leader has no api_url");
  if (target != nullptr && !target->api_url.empty()) {
    request.url = member_endpoint_url(target->api_url, p->action);
    answer = p->scheduled ? ctx.rest.send(request) : send_while_monitoring(ctx, monitor, request);
    if (answer.ok() && answer->status == 501 && p->action == "switchover" &&
        answer->body.find("Server does not support this operation") != std::string::npos) {
      request.url = member_endpoint_url(target->api_url, "failover");
      answer = send_while_monitoring(ctx, monitor, request);
    }
  }
  monitor.finish();
  if (!answer.ok()) {
    if (answer.error().code == ErrorCode::kTimeout) {
      return make_error(ErrorCode::kTimeout, title(p->action) + " status unknown: " +
                                                 answer.error().message +
                                                 "; check with `pghaloctl list`");
    }
    PGHALO_TRY(fall_back_to_etcd(ctx, *store, *p, answer.error()));
  } else if (answer->status != 200 && answer->status != 202) {
    return aborted(title(p->action) + " failed, details: " + std::to_string(answer->status) +
                   ", " + answer->body);
  } else {
    ctx.out << local_timestamp(ctx.clock.wall_now(), 6) << " " << answer->body << "\n";
  }
  Status outcome = ok_status();
  if (!p->scheduled) {
    // The agent answers once the leader key moved; the new primary may still be promoting. The
    // last poll may predate the answer and still show the old primary: wait for another one (a
    // handover quicker than the poll interval is then reported as an outage of 0 to one gap).
    poll_until(ctx, monitor, [&] {
      auto writer = monitor.writable();
      return writer && (!p->leader || *writer != *p->leader);
    }, request.timeout);
    monitor.finish();
    std::string outage = monitor.describe_write_outage();
    ctx.out << title(outage) << ".\n";
    if (!monitor.writable()) outcome = aborted("no member accepts writes after the " + p->action);
  }
  auto after = read_cluster(ctx, *store, *name);
  if (after.ok()) print_members(ctx, *after, *name);
  return outcome;
}

}  // namespace pghalo::ctl
