#include "ctl/backup_plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace pghalo::ctl {
namespace {

class BackupPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  static WallTime at(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
  }
};

TEST_F(BackupPlan, NamesBackupsAsTheSeedsScriptDoes) {
  EXPECT_EQ(backup_name(at(2024, 5, 2, 10, 11, 12)), "backup_20240502_101112");
  EXPECT_EQ(backup_time("backup_20240502_101112"), at(2024, 5, 2, 10, 11, 12));
  EXPECT_EQ(backup_time("backup_20240502_101112_2"), at(2024, 5, 2, 10, 11, 12));
  EXPECT_FALSE(backup_time("backup_2024").has_value());
  EXPECT_FALSE(backup_time("backup_20241302_101112").has_value());
  EXPECT_FALSE(backup_time("important").has_value());
}

TEST_F(BackupPlan, RetentionRemovesOnlyBackupsOlderThanTheLimit) {
  WallTime now = at(2024, 5, 31, 12, 0, 0);
  std::vector<std::string> names = {"backup_20240430_115959",  // 31 days and 1 s old
                                    "backup_20240501_120001",  // 1 s younger than 30 days
                                    "backup_20240401_000000",
                                    "backup_20240531_115000",
                                    "notes",
                                    "backup_manual",
                                    ".pghaloctl-verify-abc"};
  auto expired = expired_backups(names, now, std::chrono::hours(24 * 30), "backup_20240531_115000");
  EXPECT_EQ(expired, (std::vector<std::string>{"backup_20240401_000000", "backup_20240430_115959"}));
}

TEST_F(BackupPlan, TheBackupJustTakenIsNeverRemoved) {
  WallTime now = at(2024, 5, 31, 12, 0, 0);
  auto expired = expired_backups({"backup_20200101_000000"}, now, std::chrono::hours(1),
                                 "backup_20200101_000000");
  EXPECT_TRUE(expired.empty());
}

TEST_F(BackupPlan, BasebackupRunsTarGzipWithStreamedWalAndNeverPrompts) {
  BasebackupSpec spec;
  spec.bin_dir = "/usr/lib/postgresql/15/bin";
  spec.host = "127.0.0.1";
  spec.port = 5433;
  spec.user = "replicator";
  spec.target = "/backups/backup_1";
  spec.label = "pghaloctl backup c";
  spec.progress = true;
  auto argv = basebackup_argv(spec);
  EXPECT_EQ(argv.front(), "/usr/lib/postgresql/15/bin/pg_basebackup");
  for (const std::string expected :
       {"--host=127.0.0.1", "--port=5433", "--username=replicator", "--no-password",
        "--pgdata=/backups/backup_1", "--format=tar", "--gzip", "--wal-method=stream",
        "--checkpoint=fast", "--progress"}) {
    EXPECT_NE(std::find(argv.begin(), argv.end(), expected), argv.end()) << expected;
  }
}

}  // namespace
}  // namespace pghalo::ctl
