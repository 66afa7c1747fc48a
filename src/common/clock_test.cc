#include "common/clock.h"

#include <gtest/gtest.h>

namespace pghalo {
namespace {

TEST(ClockTest, ManualClockMovesOnlyWhenAdvanced) {
  ManualClock clock;
  MonoTime start = clock.now();
  clock.advance(milliseconds(1500));
  EXPECT_EQ(clock.now() - start, milliseconds(1500));
}

TEST(ClockTest, WallJumpDoesNotMoveMonotonicTime) {
  ManualClock clock;
  MonoTime start = clock.now();
  WallTime wall = clock.wall_now();
  clock.jump_wall(seconds(-30));
  EXPECT_EQ(clock.now(), start);
  EXPECT_EQ(clock.wall_now() - wall, std::chrono::duration_cast<WallTime::duration>(seconds(-30)));
}

TEST(ClockTest, FormatsTimestampsLikePatroni) {
  WallTime t{std::chrono::seconds(1683022272) + std::chrono::microseconds(345678)};
  EXPECT_EQ(format_iso8601(t), "2023-05-02T10:11:12.345678+00:00");
  EXPECT_EQ(format_python_datetime(t), "2023-05-02 10:11:12.345678+00:00");
  EXPECT_EQ(epoch_seconds(t), 1683022272);
}

}  // namespace
}  // namespace pghalo
