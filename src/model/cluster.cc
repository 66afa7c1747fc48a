#include "model/cluster.h"

namespace pghalo::model {

std::int64_t ClusterState::history_timeline() const {
  if (!history) return 0;
  if (history->empty()) return 1;
  return history->back().timeline.value + 1;
}

std::vector<HistoryEntry> with_skipped_timelines(std::vector<HistoryEntry> entries,
                                                 std::int64_t timeline) {
  std::vector<HistoryEntry> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out.push_back(entries[i]);
    std::int64_t next = i + 1 < entries.size() ? entries[i + 1].timeline.value : timeline;
    for (std::int64_t skipped = entries[i].timeline.value + 1; skipped < next; ++skipped) {
      HistoryEntry e = entries[i];
      e.timeline = TimelineId(skipped);
      e.reason = "timeline number skipped: used by a member that lost its data";
      e.timestamp.reset();
      e.new_leader.reset();
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace pghalo::model
