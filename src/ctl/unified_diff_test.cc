#include "ctl/unified_diff.h"

#include <gtest/gtest.h>

namespace pghalo::ctl {
namespace {

TEST(UnifiedDiff, EqualTextsHaveNoDiff) {
  EXPECT_TRUE(unified_diff("a: 1\nb: 2\n", "a: 1\nb: 2\n").empty());
}

TEST(UnifiedDiff, AChangedLineIsShownWithThreeLinesOfContextAsDifflibDoes) {
  std::string before = "loop_wait: 10\nmaximum_lag_on_failover: 1048576\nretry_timeout: 10\nttl: 30\n";
  std::string after = "loop_wait: 10\nmaximum_lag_on_failover: 1048576\nretry_timeout: 10\nttl: 10\n";
  EXPECT_EQ(unified_diff(before, after),
            (std::vector<std::string>{"--- ", "+++ ", "@@ -1,4 +1,4 @@", " loop_wait: 10",
                                      " maximum_lag_on_failover: 1048576", " retry_timeout: 10",
                                      "-ttl: 30", "+ttl: 10"}));
}

TEST(UnifiedDiff, DistantChangesMakeSeparateHunks) {
  std::string before, after;
  for (int i = 0; i < 20; ++i) {
    before += "l" + std::to_string(i) + "\n";
    after += (i == 1 ? "x" : i == 18 ? "y" : "l" + std::to_string(i)) + "\n";
  }
  auto diff = unified_diff(before, after);
  ASSERT_GE(diff.size(), 4u);
  EXPECT_EQ(diff[2], "@@ -1,5 +1,5 @@");
  EXPECT_NE(std::find(diff.begin(), diff.end(), "@@ -16,5 +16,5 @@"), diff.end());
}

TEST(UnifiedDiff, InsertionIntoAnEmptyTextUsesZeroLengthRanges) {
  EXPECT_EQ(unified_diff("{}\n", "ttl: 10\n"),
            (std::vector<std::string>{"--- ", "+++ ", "@@ -1 +1 @@", "-{}", "+ttl: 10"}));
  EXPECT_EQ(unified_diff("a\n", "a\nb\n"),
            (std::vector<std::string>{"--- ", "+++ ", "@@ -1 +1,2 @@", " a", "+b"}));
}

TEST(UnifiedDiff, ColourMarksRemovedAddedAndHunkLines) {
  std::string text = render_diff({"--- ", "+++ ", "@@ -1 +1 @@", "-a", "+b"}, true);
  EXPECT_EQ(text, "--- \n+++ \n\033[36m@@ -1 +1 @@\033[0m\n\033[31m-a\033[0m\n\033[32m+b\033[0m\n");
  EXPECT_EQ(render_diff({"-a"}, false), "-a\n");
}

}  // namespace
}  // namespace pghalo::ctl
