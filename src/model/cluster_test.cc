#include "model/cluster.h"

#include <gtest/gtest.h>

namespace pghalo::model {
namespace {

HistoryEntry line(std::int64_t tl, std::uint64_t lsn) { return {TimelineId(tl), Lsn(lsn), "r", "t", "n"}; }

std::vector<std::int64_t> timelines(const std::vector<HistoryEntry>& entries) {
  std::vector<std::int64_t> out;
  for (const auto& e : entries) out.push_back(e.timeline.value);
  return out;
}

TEST(WithSkippedTimelines, Seed24AddsALineForEachNumberAPromotionSkipped) {
  // Promoted from timeline 2 at 0x300 onto 5: 3 and 4 were used by a member that lost its data.
  auto out = with_skipped_timelines({line(1, 0x100), line(2, 0x300)}, 5);
  EXPECT_EQ(timelines(out), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(out[2].switch_lsn.value, 0x300u) << "no WAL was written on a skipped timeline";
  EXPECT_FALSE(out[3].timestamp.has_value());
  ClusterState c;
  c.history = out;
  EXPECT_EQ(c.history_timeline(), 5);
}

TEST(WithSkippedTimelines, LeavesAContiguousHistoryAsItIs) {
  auto out = with_skipped_timelines({line(1, 0x100), line(2, 0x300)}, 3);
  EXPECT_EQ(timelines(out), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(out[1].timestamp, "t");
}

TEST(WithSkippedTimelines, FillsAGapInTheMiddleToo) {
  auto out = with_skipped_timelines({line(1, 0x100), line(4, 0x300)}, 5);
  EXPECT_EQ(timelines(out), (std::vector<std::int64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace pghalo::model
