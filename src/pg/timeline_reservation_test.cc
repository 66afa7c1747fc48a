#include "pg/timeline_reservation.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace pghalo::pg {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ReserveTimelines : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pghalo-tl-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(TimelineHistoryFileName, IsEightUpperCaseHexDigits) {
  EXPECT_EQ(timeline_history_file_name(2), "00000002.history");
  EXPECT_EQ(timeline_history_file_name(26), "0000001A.history");
}

TEST(PlaceholderHistoryText, HoldsOnlyCommentLinesSoPostgresParsesItWithoutParents) {
  std::istringstream lines(placeholder_history_text(5));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_EQ(line.rfind('#', 0), 0u) << line;
  }
  EXPECT_GT(count, 0);
}

TEST_F(ReserveTimelines, Seed24WritesAPlaceholderForEveryMissingTimelineUpToTheClustersNewest) {
  // A standby on timeline 2; the cluster reached timeline 4 on a member that lost its data.
  auto written = reserve_timelines(dir_.string(), 2, 4);
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  EXPECT_EQ(written->size(), 2u);
  EXPECT_FALSE(fs::exists(dir_ / "00000002.history"));
  EXPECT_EQ(read(dir_ / "00000003.history"), placeholder_history_text(3));
  EXPECT_EQ(read(dir_ / "00000004.history"), placeholder_history_text(4));
  EXPECT_FALSE(fs::exists(dir_ / "00000005.history")) << "PostgreSQL takes 5 itself";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2)
      << "no temporary file left behind";
  release_timelines(*written);
  EXPECT_TRUE(fs::is_empty(dir_)) << "released once the promotion chose its timeline";
}

TEST_F(ReserveTimelines, LeavesAnExistingHistoryFileAlone) {
  { std::ofstream(dir_ / "00000003.history") << "2\t0/3000000\tno recovery target specified\n"; }
  auto written = reserve_timelines(dir_.string(), 2, 3);
  ASSERT_TRUE(written.ok());
  EXPECT_TRUE(written->empty()) << "nothing of ours to release later";
  EXPECT_EQ(read(dir_ / "00000003.history"), "2\t0/3000000\tno recovery target specified\n");
}

TEST_F(ReserveTimelines, DoesNothingWhenTheServerIsAlreadyOnTheNewestTimeline) {
  ASSERT_TRUE(reserve_timelines(dir_.string(), 4, 4).ok());
  ASSERT_TRUE(reserve_timelines(dir_.string(), 4, 0).ok());
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(ReserveTimelines, LeftoverPlaceholdersAboveTheNewestRealHistoryAreRemoved) {
  // A promotion from timeline 1 skipped 2 and 3 and ended on 4 (its placeholders stay, for the
  // standbys that fetch them); later this server reserved 5 and 6 and died before promoting.
  ASSERT_TRUE(reserve_timelines(dir_.string(), 1, 3).ok());
  // A real history file whose text merely starts like a placeholder is not one.
  { std::ofstream(dir_ / "00000004.history") << placeholder_history_text(4) << "1\t0/3000000\tx\n"; }
  ASSERT_TRUE(reserve_timelines(dir_.string(), 4, 6).ok());
  { std::ofstream(dir_ / "000000040000000000000003") << "segment"; }
  auto removed = remove_leftover_placeholders(dir_.string());
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(fs::exists(dir_ / "00000005.history"));
  EXPECT_FALSE(fs::exists(dir_ / "00000006.history"));
  EXPECT_TRUE(fs::exists(dir_ / "00000002.history")) << "below a real timeline: kept";
  EXPECT_TRUE(fs::exists(dir_ / "00000003.history"));
  EXPECT_TRUE(fs::exists(dir_ / "00000004.history"));
  EXPECT_TRUE(fs::exists(dir_ / "000000040000000000000003"));
  EXPECT_TRUE(remove_leftover_placeholders(dir_.string()).empty()) << "nothing left to remove";
  EXPECT_TRUE(remove_leftover_placeholders((dir_ / "missing").string()).empty());
}

TEST_F(ReserveTimelines, WithoutARealHistoryEveryPlaceholderIsLeftover) {
  // A standby on timeline 1 reserved 2 and 3 and its agent died before pg_ctl promote.
  ASSERT_TRUE(reserve_timelines(dir_.string(), 1, 3).ok());
  EXPECT_EQ(remove_leftover_placeholders(dir_.string()).size(), 2u);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(ReserveTimelines, ReportsADirectoryItCannotWriteInto) {
  EXPECT_FALSE(reserve_timelines((dir_ / "missing").string(), 1, 2).ok());
}

}  // namespace
}  // namespace pghalo::pg
