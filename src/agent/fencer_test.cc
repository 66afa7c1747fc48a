#include "agent/fencer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

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

// A fence file and a boot id file in a fresh directory.
class FenceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pghalo-fence-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    set_boot_id("6c0e4f3c-0d54-4a4b-9c36-2f7b5a0c1d11");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void set_boot_id(const std::string& id) { std::ofstream(dir_ / "boot_id") << id << "\n"; }
  std::unique_ptr<FenceFile> file() {
    return std::make_unique<FenceFile>((dir_ / "main.pghalo-fence").string(), (dir_ / "boot_id").string());
  }
  std::filesystem::path dir_;
};

// Simulator seeds 110 and 679: the fence must outlive the agent process that armed it, so that
// a process systemd restarts knows the deadline its predecessor was bound by.
TEST_F(FenceFileTest, Seed679AFenceOutlivesTheProcessThatArmedIt) {
  ha::Fence fence = ha::Fence::until(steady_clock::now() + hours(1));
  {
    FencingThread dying([] {}, file());
    EXPECT_FALSE(dying.inherited());
    dying.apply(fence);
  }  // the process dies; its fencing thread with it
  FencingThread next([] {}, file());
  EXPECT_EQ(next.inherited(), fence);
}

TEST_F(FenceFileTest, AnotherBootDiscardsTheRecord) {
  FencingThread({}, file()).apply(ha::Fence::until(steady_clock::now() + hours(1)));
  set_boot_id("0e1b7d52-5a3e-4f0d-8a64-9d2c4b6e7f80");  // rebooted: PostgreSQL went down with it
  EXPECT_FALSE(file()->load());
}

TEST_F(FenceFileTest, ADisarmedFenceRemovesTheRecord) {
  FencingThread fencer([] {}, file());
  fencer.apply(ha::Fence::until(steady_clock::now() + hours(1)));
  fencer.apply(ha::Fence::disarmed());
  EXPECT_FALSE(file()->load());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "main.pghalo-fence"));
}

// After the thread fired (and disarmed its fence), the next cycle's disarmed fence equals the
// thread's but must still clear the record: a later process would re-arm the old deadline and
// stop a server that this process had restarted read-only.
TEST_F(FenceFileTest, AFenceThatFiredIsClearedByTheNextDisarmedOne) {
  std::atomic<int> stops{0};
  FencingThread fencer([&] { ++stops; }, file());
  fencer.apply(ha::Fence::until(steady_clock::now()));
  for (int i = 0; i < 500 && fencer.fired_count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(fencer.fired_count(), 1);
  fencer.apply(ha::Fence::disarmed());
  EXPECT_FALSE(file()->load());
}

TEST_F(FenceFileTest, GarbageIsNotAFence) {
  std::ofstream(dir_ / "main.pghalo-fence") << "not a fence\n";
  EXPECT_FALSE(file()->load());
}

TEST(FenceFilePath, BesideTheDataDirectoryUnlessConfigured) {
  EXPECT_EQ(fence_file_path("", "/var/lib/postgresql/15/main"), "/var/lib/postgresql/15/main.pghalo-fence");
  EXPECT_EQ(fence_file_path("", "/var/lib/postgresql/15/main/"), "/var/lib/postgresql/15/main.pghalo-fence");
  EXPECT_EQ(fence_file_path("/run/pghalo/fence", "/data"), "/run/pghalo/fence");
}

}  // namespace
}  // namespace pghalo::agent
