#include "agent/history_plan.h"

namespace pghalo::agent {

std::optional<std::vector<model::HistoryEntry>> history_before_promotion(
    const std::optional<std::vector<model::HistoryEntry>>& history, std::int64_t timeline,
    model::Lsn replayed, std::int64_t new_timeline, const std::string& timestamp,
    const std::string& new_leader) {
  std::vector<model::HistoryEntry> entries = history.value_or(std::vector<model::HistoryEntry>{});
  if (timeline <= 0) return std::nullopt;
  std::int64_t promoted_to = std::max(new_timeline, timeline + 1);
  if (!entries.empty() && entries.back().timeline.value >= timeline) {
    // Our timeline has its line, but the promotion may still go above the number after the last
    // line: above one an earlier attempt of ours reserved (its line is that last one), or one a
    // member that is gone used. Those numbers need lines too, or once our member key expires
    // nothing in etcd knows the new timeline (simulator seed 3252: a promote failed, the retry
    // went above the number the first attempt recorded and wrote nothing, and a later promotion
    // elsewhere took the same number).
    if (entries.back().timeline.value + 1 >= promoted_to) return std::nullopt;
    return model::with_skipped_timelines(std::move(entries), promoted_to);
  }
  model::HistoryEntry line;
  line.timeline = model::TimelineId(timeline);
  line.switch_lsn = replayed;  // at most the switch point; the leader's UpdateHistory corrects it
  line.reason = "no recovery target specified";  // what PostgreSQL's file will say
  line.timestamp = timestamp;
  line.new_leader = new_leader;
  entries.push_back(line);
  return model::with_skipped_timelines(std::move(entries), promoted_to);
}

}  // namespace pghalo::agent
