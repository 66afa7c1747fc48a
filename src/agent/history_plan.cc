#include "agent/history_plan.h"

namespace pghalo::agent {

std::optional<std::vector<model::HistoryEntry>> history_before_promotion(
    const std::optional<std::vector<model::HistoryEntry>>& history, std::int64_t timeline,
    model::Lsn replayed, std::int64_t new_timeline, const std::string& timestamp,
    const std::string& new_leader) {
  std::vector<model::HistoryEntry> entries = history.value_or(std::vector<model::HistoryEntry>{});
  if (timeline <= 0 || (!entries.empty() && entries.back().timeline.value >= timeline)) {
    return std::nullopt;
  }
  model::HistoryEntry line;
  line.timeline = model::TimelineId(timeline);
  line.switch_lsn = replayed;  // at most the switch point; the leader's UpdateHistory corrects it
  line.reason = "no recovery target specified";  // what PostgreSQL's file will say
  line.timestamp = timestamp;
  line.new_leader = new_leader;
  entries.push_back(line);
  return model::with_skipped_timelines(std::move(entries), std::max(new_timeline, timeline + 1));
}

}  // namespace pghalo::agent
