// Which members a command acts on: patronictl's role filter (-r leader|primary|standby-leader|
// replica|standby|any|master) and member-name arguments, with errors that list the valid names
// instead of patronictl's "No replica among provided members". Also the member table printed
// before acting. Pure except print_members() (which asks the members for their lag).
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "ctl/commands.h"
#include "ctl/context.h"
#include "model/cluster.h"

namespace pghalo::ctl {

// kInvalidArgument unless `role` is one of patronictl's choices.
Status check_role(const std::string& role);

// Members with `role` ("any" for all). Leader roles give the leader only (when it has a member
// key); replica/standby give every other member.
std::vector<const model::Member*> members_with_role(const model::ClusterState& cluster,
                                                    const std::string& role);

// The leader first, then the other members with an api_url (whom to ask for cluster-wide
// changes such as pause).
std::vector<const model::Member*> members_leader_first(const model::ClusterState& cluster);

struct Selection {
  std::vector<const model::Member*> members;
};

// patronictl's get_members(): prints the member table (unless forced without a role filter),
// checks the named members against the cluster and the role, asks which member when none was
// named and the action needs one (reinitialize), and asks for confirmation unless `force`.
Result<Selection> select_members(Context& ctx, const model::ClusterState& cluster,
                                 const std::string& cluster_name, const MemberActionOptions& options,
                                 const std::string& action, bool ask_confirmation);

// The member table as `list` prints it (pretty), with the members' current lag.
void print_members(Context& ctx, const model::ClusterState& cluster, const std::string& name);

}  // namespace pghalo::ctl
