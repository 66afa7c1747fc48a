// /history before a promotion: the line for the timeline the promotion ends, written before
// `pg_ctl promote` runs. Pure; thread-safe.
//
// Why: a leader writes /history from its timeline history file only in its first healthy cycle
// after promoting. One cut off from etcd right after (or whose host fails) never does; once its
// member key expires nothing in etcd knows that timeline, and the next promotion elsewhere takes
// the same number for another history (simulator seeds 44, 157, 346). Written first, the line
// makes every later promotion go above it (ha::Promote::above_timeline); the leader's later
// UpdateHistory replaces it with the exact switch point from PostgreSQL's file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/cluster.h"

namespace pghalo::agent {

// `history` as etcd holds it, plus a line for `timeline` (the one we replay, ending at about
// `replayed`) and one per number the promotion skips below `new_timeline`. nullopt when
// /history already covers every number below `new_timeline` (nothing to add).
std::optional<std::vector<model::HistoryEntry>> history_before_promotion(
    const std::optional<std::vector<model::HistoryEntry>>& history, std::int64_t timeline,
    model::Lsn replayed, std::int64_t new_timeline, const std::string& timestamp,
    const std::string& new_leader);

}  // namespace pghalo::agent
