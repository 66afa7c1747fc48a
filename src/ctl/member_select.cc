#include "ctl/member_select.h"

#include <algorithm>

#include "common/strings.h"
#include "ctl/cluster_view.h"
#include "ctl/list_view.h"
#include "ctl/member_status.h"

namespace pghalo::ctl {
namespace {

const char* const kRoles[] = {"leader", "primary", "standby-leader", "replica",
                              "standby", "any",     "master"};

std::vector<std::string> names_of(const std::vector<const model::Member*>& members) {
  std::vector<std::string> names;
  for (const auto* m : members) names.push_back(m->name.value);
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string listed(const std::vector<std::string>& names) {
  return names.empty() ? "none" : join(names, ", ");
}

}  // namespace

Status check_role(const std::string& role) {
  for (const char* r : kRoles) {
    if (role == r) return ok_status();
  }
  return invalid("unknown role '" + role +
                 "': use leader, primary, standby-leader, replica, standby, any or master");
}

std::vector<const model::Member*> members_with_role(const model::ClusterState& cluster,
                                                    const std::string& role) {
  std::vector<const model::Member*> out;
  bool leader_role = role == "leader" || role == "master" || role == "primary" ||
                     role == "standby-leader";
  if (leader_role) {
    const model::Member* leader = cluster.leader_member();
    if (leader == nullptr) return out;
    bool standby_leader = leader->role == model::Role::kStandbyLeader;
    bool primary = leader->role_text == "master" || leader->role_text == "primary";
    if (role == "leader" || (role == "standby-leader" && !primary) ||
        ((role == "master" || role == "primary") && !standby_leader)) {
      out.push_back(leader);
    }
    return out;
  }
  for (const auto& [name, member] : cluster.members) {
    if (role == "any" || !cluster.is_leader(name)) out.push_back(&member);
  }
  return out;
}

std::vector<const model::Member*> members_leader_first(const model::ClusterState& cluster) {
  std::vector<const model::Member*> out;
  const model::Member* leader = cluster.leader_member();
  if (leader != nullptr && !leader->api_url.empty()) out.push_back(leader);
  for (const auto& [name, member] : cluster.members) {
    if (!member.api_url.empty() && &member != leader) out.push_back(&member);
  }
  return out;
}

void print_members(Context& ctx, const model::ClusterState& cluster, const std::string& name) {
  ClusterView view = view_cluster(cluster);
  std::vector<MemberAddress> addresses;
  for (const auto& m : view.members) addresses.push_back({m.name, m.api_url});
  auto statuses = fetch_statuses(ctx.rest, addresses, std::min<Duration>(ctx.settings.timeout, std::chrono::seconds(2)));
  ListOptions options;
  options.color = ctx.color;
  ctx.out << render_members(view, name, member_lags(view, statuses, cluster.status.optime.value),
                            options);
}

Result<Selection> select_members(Context& ctx, const model::ClusterState& cluster,
                                 const std::string& cluster_name,
                                 const MemberActionOptions& options, const std::string& action,
                                 bool ask_confirmation) {
  PGHALO_TRY(check_role(options.role));
  auto candidates = members_with_role(cluster, options.role);
  std::vector<std::string> candidate_names = names_of(candidates);
  if (options.members.empty() && candidates.empty()) {
    return aborted("cluster '" + cluster_name + "' has no " +
                   (options.role == "any" ? std::string("members") : options.role + " members") +
                   " in etcd (is its agent running?)");
  }
  for (const auto& name : options.members) {
    if (cluster.member(model::MemberName(name)) == nullptr) {
      return invalid("'" + name + "' is not a member of cluster '" + cluster_name +
                     "'; its members are: " + member_names(view_cluster(cluster)));
    }
  }
  print_members(ctx, cluster, cluster_name);
  std::vector<std::string> chosen;
  for (const auto& name : options.members) {
    if (!contains(candidate_names, name)) {
      ctx.err << "skipping " << name << ": its role is not " << options.role << "\n";
      continue;
    }
    if (!contains(chosen, name)) chosen.push_back(name);
  }
  if (!options.members.empty() && chosen.empty()) {
    return invalid("no " + options.role + " among the members given (" +
                   join(options.members, ", ") + "); members with that role: " +
                   listed(candidate_names));
  }
  if (options.members.empty() && action != "reinitialize") chosen = candidate_names;
  if (chosen.empty()) {
    if (options.force) {
      return invalid("name the member to " + action + " (candidates: " + listed(candidate_names) +
                     ")");
    }
    auto answer = ask(ctx, "Which member do you want to " + action + " [" +
                               join(candidate_names, ", ") + "]?", std::string());
    if (!answer.ok()) return answer.error();
    if (!contains(candidate_names, *answer)) {
      return invalid("'" + *answer + "' is not a " +
                     (options.role == "any" ? std::string("member") : options.role) +
                     " of cluster '" + cluster_name + "' (candidates: " +
                     listed(candidate_names) + ")");
    }
    chosen.push_back(*answer);
  }
  Selection selection;
  for (const auto* m : candidates) {
    if (contains(chosen, m->name.value)) selection.members.push_back(m);
  }
  if (ask_confirmation && !options.force) {
    auto yes = confirm(ctx, "Are you sure you want to " + action + " members " +
                                join(names_of(selection.members), ", ") + "?");
    if (!yes.ok()) return yes.error();
    if (!*yes) return aborted("Aborted " + action);
  }
  return selection;
}

}  // namespace pghalo::ctl
