// The cluster as etcd holds it under /<namespace>/<scope>/ (spec 1.2-1.3), decoded.
// Produced by the dcs module from one prefix read; consumed by the HA core, the REST API and
// pghaloctl. Value type, no I/O. Corrupt values are decoded as "absent" and listed in `problems`.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/ids.h"
#include "model/member.h"

namespace pghalo::model {

struct LeaderKey {
  MemberName name;
  LeaseId lease;
  Revision mod_revision;
  Revision create_revision;
};

// `/failover` (spec 1.3.6): a manual switchover (leader set) or failover request.
struct FailoverRequest {
  std::optional<MemberName> leader;
  std::optional<MemberName> candidate;        // stored as "member"
  std::optional<WallTime> scheduled_at;       // parsed
  std::optional<std::string> scheduled_text;  // as stored; set with !scheduled_at when unparsable
  Revision mod_revision;

  bool is_empty() const { return !leader && !candidate; }
};

// `/sync` (spec 1.3.7).
struct SyncState {
  std::optional<MemberName> leader;
  std::vector<MemberName> sync_standby;  // sorted
  Revision mod_revision;

  bool lists(const MemberName& name) const {
    for (const auto& s : sync_standby) {
      if (s == name) return true;
    }
    return false;
  }
};

// One `/history` line (spec 1.3.4).
struct HistoryEntry {
  TimelineId timeline;
  Lsn switch_lsn;
  std::string reason;
  std::optional<std::string> timestamp;
  std::optional<std::string> new_leader;
};

struct ClusterStatus {
  Lsn optime;                                // 0 when unknown
  std::map<std::string, std::uint64_t> slots;
};

struct ClusterState {
  Revision revision;  // etcd header revision of the read

  // `initialize`: absent (nullopt), "" while bootstrapping, then the system identifier.
  std::optional<std::string> initialize;
  std::optional<LeaderKey> leader;
  std::map<MemberName, Member> members;

  // `/config`: the raw dynamic configuration (the config module types it).
  std::optional<nlohmann::json> config;
  Revision config_revision;

  std::optional<std::vector<HistoryEntry>> history;  // nullopt: key absent or garbage
  ClusterStatus status;
  std::optional<FailoverRequest> failover;           // nullopt or empty: no request
  Revision failover_revision;                        // of the key even when it holds {}
  std::optional<SyncState> sync;
  std::optional<std::map<MemberName, std::string>> failsafe;

  // Keys whose value could not be decoded: "<key>: <why>". The store logs them; readers treat
  // the values as absent (spec 1.3: unparsable JSON reads as empty).
  std::vector<std::string> problems;

  const Member* member(const MemberName& name) const {
    auto it = members.find(name);
    return it == members.end() ? nullptr : &it->second;
  }
  bool has_leader() const { return leader.has_value(); }
  bool is_leader(const MemberName& name) const { return leader && leader->name == name; }
  const Member* leader_member() const { return leader ? member(leader->name) : nullptr; }
  // Cluster timeline derived from history: last entry + 1; [] => 1; absent => 0.
  std::int64_t history_timeline() const;
  bool has_failover_request() const { return failover && !failover->is_empty(); }
};

// /history for a member on `timeline` from its timeline history file's lines, plus one line for
// each timeline number the promotion skipped (reserved above a member that lost its data, see
// pg/timeline_reservation.h): PostgreSQL's file names only real parents, and without these lines
// /history would end below the number before ours, so history_timeline() would point at a
// skipped number and the next promotion could reuse ours. Each added line ends where the real
// parent's line ends (no WAL was ever written on a skipped timeline).
std::vector<HistoryEntry> with_skipped_timelines(std::vector<HistoryEntry> entries,
                                                 std::int64_t timeline);

}  // namespace pghalo::model
