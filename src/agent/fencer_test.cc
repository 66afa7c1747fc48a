#include "agent/fencer.h"

#include <gtest/gtest.h>

#include <atomic>

namespace pghalo::agent {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::steady_clock;

// Simulator seed 515: a leader's host froze past its fence; on resume the loop ran before the
// fencing thread, saw a paused cluster led by another member, and lifted the fence: the overdue
// deadline never fired and two primaries accepted writes.
TEST(FencingThread, Seed515AnOverdueFenceFiresEvenWhenANewOneLiftsIt) {
  std::atomic<int> stops{0};
  FencingThread fencer([&] { ++stops; });
  fencer.apply(ha::Fence::until(steady_clock::now() - seconds(1)));
  fencer.apply(ha::Fence::disarmed());
  // Whichever saw it first (this apply, or the thread) fired it, once.
  EXPECT_EQ(fencer.fired_count(), 1);
}

TEST(FencingThread, AFenceReplacedBeforeItsDeadlineDoesNotFire) {
  std::atomic<int> stops{0};
  FencingThread fencer([&] { ++stops; });
  fencer.apply(ha::Fence::until(steady_clock::now() + hours(1)));
  fencer.apply(ha::Fence::disarmed());
  EXPECT_EQ(fencer.fired_count(), 0);
  EXPECT_EQ(stops.load(), 0);
}

TEST(FenceOverdue, OnlyAnArmedFenceWhoseDeadlinePassedIsOverdue) {
  MonoTime now = steady_clock::now();
  EXPECT_TRUE(fence_overdue(ha::Fence::until(now), now));
  EXPECT_FALSE(fence_overdue(ha::Fence::until(now + seconds(1)), now));
  EXPECT_FALSE(fence_overdue(ha::Fence::disarmed(), now));
}

}  // namespace
}  // namespace pghalo::agent
