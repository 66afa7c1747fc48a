#include "agent/history_plan.h"

#include <gtest/gtest.h>

namespace pghalo::agent {
namespace {

model::HistoryEntry line(std::int64_t tl, std::uint64_t lsn) { return {model::TimelineId(tl), model::Lsn(lsn), "", {}, {}}; }

// Simulator seeds 44, 157, 346: a leader promoted onto timeline 4 and was cut off from etcd
// before it wrote /history; its member key expired, and a member on timeline 3 promoted onto 4.
TEST(HistoryBeforePromotion, Seed346RecordsTheTimelineThePromotionEndsFirst) {
  auto out = history_before_promotion(std::vector{line(1, 0x100), line(2, 0x200)}, 3, model::Lsn(0x300), 4,
                                      "2026-11-27T05:00:00+00:00", "node2");
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ(out->back().timeline.value, 3);
  EXPECT_EQ(out->back().switch_lsn.value, 0x300u);
  EXPECT_EQ(out->back().new_leader, "node2");
  model::ClusterState c;
  c.history = out;
  EXPECT_EQ(c.history_timeline(), 4) << "the next promotion anywhere goes above 4";
}

TEST(HistoryBeforePromotion, AddsTheNumbersAPromotionAboveAReservedTimelineSkips) {
  auto out = history_before_promotion(std::vector{line(1, 0x100)}, 2, model::Lsn(0x300), 5, "t", "node1");
  ASSERT_TRUE(out.has_value());
  model::ClusterState c;
  c.history = out;
  EXPECT_EQ(c.history_timeline(), 5);
}

TEST(HistoryBeforePromotion, LeavesAHistoryThatAlreadyCoversOurTimelineAlone) {
  EXPECT_FALSE(history_before_promotion(std::vector{line(1, 0x100), line(2, 0x200)}, 2, model::Lsn(0x300), 3, "t", "n"));
  auto fresh = history_before_promotion(std::nullopt, 1, model::Lsn(0x300), 2, "t", "n");
  ASSERT_TRUE(fresh.has_value()) << "no /history yet: the first promotion starts it";
  EXPECT_EQ(fresh->size(), 1u);
}

// Simulator seed 3252: node1 (timeline 1) took the lock; its first promote attempt wrote the line
// for timeline 1 and failed; the retry went above timeline 2 (what /history then named) onto 3
// but wrote nothing, as the line for timeline 1 was there. node1 was cut off before its first
// healthy cycle, its member key expired, and node3, still on timeline 1, promoted onto 3 as well.
TEST(HistoryBeforePromotion, Seed3252ARetryAboveTheRecordedNumberRecordsTheNumbersItSkips) {
  auto out = history_before_promotion(std::vector{line(1, 0x100)}, 1, model::Lsn(0x300), 3, "t", "node1");
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(out->front().switch_lsn.value, 0x100u) << "the existing line is kept as it is";
  EXPECT_EQ(out->back().timeline.value, 2);
  model::ClusterState c;
  c.history = out;
  EXPECT_EQ(c.history_timeline(), 3) << "the next promotion anywhere goes above 3";
}

}  // namespace
}  // namespace pghalo::agent
