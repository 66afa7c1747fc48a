#include "pg/postmaster_pid.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "pg/testdata.h"

namespace pghalo::pg {
namespace {

using testing::read_testdata;

TEST(ParsePostmasterPid, ReadsEveryLineOfARealLockFile) {
  auto file = parse_postmaster_pid(read_testdata("postmaster.pid"));
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_GT(file->pid, 0);
  EXPECT_FALSE(file->single_user);
  EXPECT_EQ(file->data_dir, "/tmp/pghalo-pg-sample/d");
  EXPECT_TRUE(file->start_time.has_value());
  EXPECT_EQ(file->port, 16190);
  EXPECT_EQ(file->socket_dir, "/tmp/pghalo-pg-sample");
  EXPECT_EQ(file->listen_address, "127.0.0.1");
  EXPECT_EQ(file->status, "ready");  // PostgreSQL pads it with spaces
}

TEST(ParsePostmasterPid, MarksANegativePidAsASingleUserBackend) {
  auto file = parse_postmaster_pid("-4242\n/data\n");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->pid, 4242);
  EXPECT_TRUE(file->single_user);
  EXPECT_FALSE(file->port.has_value());
}

TEST(ParsePostmasterPid, RejectsGarbageWithAClearError) {
  for (const char* text : {"", "\n", "not-a-pid\n/data\n", "0\n", "99999999999\n"}) {
    auto file = parse_postmaster_pid(text);
    ASSERT_FALSE(file.ok()) << text;
    EXPECT_EQ(file.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(file.error().message.find("postmaster.pid"), std::string::npos);
  }
}

TEST(ParsePostmasterOpts, KeepsLongOptionsAndDashCAssignments) {
  auto options = parse_postmaster_opts(read_testdata("postmaster.opts"));
  std::vector<std::pair<std::string, std::string>> expected = {
      {"port", "16190"},
      {"listen_addresses", "127.0.0.1"},
      {"unix_socket_directories", "/tmp/pghalo-pg-sample"}};
  EXPECT_EQ(options, expected);
  auto ours = parse_postmaster_opts(
      "/usr/lib/postgresql/15/bin/postgres \"-D\" \"/d\" \"--config-file=/d/postgresql.conf\" "
      "\"--max_connections=200\" \"--cluster_name=a b\"\n");
  std::vector<std::pair<std::string, std::string>> ours_expected = {
      {"config-file", "/d/postgresql.conf"}, {"max_connections", "200"}, {"cluster_name", "a b"}};
  EXPECT_EQ(ours, ours_expected);
}

TEST(IsPostmasterOf, RejectsProcessesThatAreNotThatDataDirectorysPostmaster) {
  EXPECT_FALSE(is_postmaster_of(0, "/data"));
  EXPECT_FALSE(is_postmaster_of(-5, "/data"));
  EXPECT_FALSE(is_postmaster_of(::getpid(), "/data"));   // ourselves, e.g. after pid reuse
  EXPECT_FALSE(is_postmaster_of(::getppid(), "/data"));  // alive, but not a postgres binary
  EXPECT_FALSE(is_postmaster_of(0x3fffffff, "/data"));   // no such process
}

class LockFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pghalo-pidfile-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(dir_ / "postmaster.pid") << text; }
  std::filesystem::path dir_;
};

TEST_F(LockFileTest, AStaleOrGarbageLockFileReadsAsNotRunning) {
  EXPECT_FALSE(running_postmaster_pid(dir_.string()).has_value());  // no file
  write("garbage\n");
  EXPECT_FALSE(running_postmaster_pid(dir_.string()).has_value());
  write(std::to_string(::getpid()) + "\n" + dir_.string() + "\n");  // a live non-postmaster
  EXPECT_FALSE(running_postmaster_pid(dir_.string()).has_value());
  write("1073741823\n" + dir_.string() + "\n");  // a dead pid
  EXPECT_FALSE(running_postmaster_pid(dir_.string()).has_value());
}

}  // namespace
}  // namespace pghalo::pg
