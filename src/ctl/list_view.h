// The member listing of `list`, `topology` and the tables that `switchover`, `restart`, ...
// print before they act: patronictl's layout (title in the top rule, Leader/Replica/Sync
// Standby roles, host:port when ports differ, the Pending restart / Scheduled restart / Tags
// columns when any member has them or with -e, the maintenance and scheduled switchover
// footer), with two changes for people reading it under stress:
//
//  * the title names the system identifier and says when the cluster is paused;
//  * the pretty table shows "Receive Lag" and "Replay Lag" in human units (from the members'
//    own status when they answer, else the receive lag from etcd) instead of patronictl's
//    "Lag in MB", which reads 0 for anything under half a megabyte. tsv/json/yaml keep
//    "Lag in MB" for scripts and add the two lags in bytes.
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ctl/cluster_view.h"
#include "ctl/member_status.h"
#include "ctl/output.h"

namespace pghalo::ctl {

struct MemberLag {
  std::optional<std::uint64_t> receive, replay;  // bytes behind the leader; nullopt: unknown
};

// Receive and replay lag per replica: from the members' status when the member answered (the
// leader's current position, else `/status`'s optime, as the reference), else the receive lag
// from the member key. The leader has no entry.
std::map<std::string, MemberLag> member_lags(const ClusterView& view,
                                             const std::map<std::string, MemberStatus>& statuses,
                                             std::uint64_t cluster_optime);

struct ListOptions {
  Format format = Format::kPretty;
  bool extended = false;
  bool topology = false;  // leader first, replicas indented under their upstream
  bool color = false;
};

// The listing, including the footer lines in pretty form.
std::string render_members(const ClusterView& view, const std::string& cluster,
                           const std::map<std::string, MemberLag>& lags, const ListOptions& options);

// Patroni's round(): half to even (2.5 -> 2), as "Lag in MB" is computed.
long long python_round(double value);

}  // namespace pghalo::ctl
