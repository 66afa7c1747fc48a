#include "common/log.h"

#include <gtest/gtest.h>

namespace pghalo::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_sink([this](const Record&, const std::string& line) { lines_.push_back(line); });
  }
  void TearDown() override { reset(); }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, TextLineCarriesEventMessageAndFields) {
  info("ha_cycle", "no action", {{"reason", "leader_holds_lock"}, {"ttl", 30}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("INFO  ha_cycle: no action reason=leader_holds_lock ttl=30"),
            std::string::npos)
      << lines_[0];
}

TEST_F(LogTest, JsonLineIsOneObject) {
  set_format(Format::kJson);
  warn("timing", "unsafe \"timing\"", {{"ttl", 30}, {"name", "a b"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("\"event\":\"timing\""), std::string::npos);
  EXPECT_NE(lines_[0].find("\"message\":\"unsafe \\\"timing\\\"\""), std::string::npos);
  EXPECT_NE(lines_[0].find("\"ttl\":30"), std::string::npos);
  EXPECT_NE(lines_[0].find("\"name\":\"a b\""), std::string::npos);
}

TEST_F(LogTest, LevelFiltersQuieterRecords) {
  set_level(Level::kWarning);
  info("x", "dropped");
  error("y", "kept");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("kept"), std::string::npos);
}

TEST_F(LogTest, ContextLabelsLinesFromThisThread) {
  {
    ScopedContext ctx("node2");
    info("e", "m");
  }
  info("e", "m");
  EXPECT_NE(lines_[0].find("[node2]"), std::string::npos);
  EXPECT_EQ(lines_[1].find("[node2]"), std::string::npos);
}

TEST(RedactTest, HidesPasswordsInConninfoAndUris) {
  EXPECT_EQ(redact_conninfo("host=a password=secret user=b"),
            "host=a password=******** user=b");
  EXPECT_EQ(redact_conninfo("password='se cret' host=a"), "password=******** host=a");
  EXPECT_EQ(redact_conninfo("postgres://rep:pw@10.0.0.1:5432/postgres"),
            "postgres://rep:********@10.0.0.1:5432/postgres");
  EXPECT_EQ(redact_conninfo("host=a user=b"), "host=a user=b");
}

}  // namespace
}  // namespace pghalo::log
