#include "pg/bin_dir.h"

#include <gtest/gtest.h>

#include <set>

namespace pghalo::pg {
namespace {

auto has_in(std::set<std::string> dirs) {
  return [dirs](const std::string& dir) { return dirs.count(dir) > 0; };
}

const std::vector<std::string> kInstalled = {
    "/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/13/bin"};

TEST(ChooseBinDir, KeepsTheConfiguredDirectoryWhenItHasPgCtl) {
  auto choice = choose_bin_dir("/opt/pg/bin", kInstalled, has_in({"/opt/pg/bin"}));
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->bin_dir, "/opt/pg/bin");
  EXPECT_FALSE(choice->warning.has_value());
}

TEST(ChooseBinDir, FallsBackToTheNewestInstalledVersionWithAWarning) {
  auto choice = choose_bin_dir("/usr/lib/postgresql/16/bin", kInstalled,
                               has_in({"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/15/bin",
                                       "/usr/lib/postgresql/13/bin"}));
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->bin_dir, "/usr/lib/postgresql/15/bin");  // 15 > 13 > 9.6, numerically
  ASSERT_TRUE(choice->warning.has_value());
  EXPECT_NE(choice->warning->find("/usr/lib/postgresql/16/bin has no pg_ctl"), std::string::npos);
}

TEST(ChooseBinDir, SkipsInstalledDirectoriesWithoutPgCtl) {
  auto choice = choose_bin_dir("", kInstalled, has_in({"/usr/lib/postgresql/13/bin"}));
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->bin_dir, "/usr/lib/postgresql/13/bin");
  EXPECT_NE(choice->warning->find("PATH has no pg_ctl"), std::string::npos);
}

TEST(ChooseBinDir, UsesPathWhenNothingIsConfiguredAndPathHasPgCtl) {
  auto choice = choose_bin_dir("", kInstalled, has_in({""}));
  ASSERT_TRUE(choice.ok());
  EXPECT_EQ(choice->bin_dir, "");
  EXPECT_FALSE(choice->warning.has_value());
}

TEST(ChooseBinDir, FailsWithAClearErrorWhenNoBinariesExist) {
  auto choice = choose_bin_dir("/usr/lib/postgresql/16/bin", kInstalled, has_in({}));
  ASSERT_FALSE(choice.ok());
  EXPECT_EQ(choice.error().code, ErrorCode::kNotFound);
  EXPECT_NE(choice.error().message.find("no PostgreSQL binaries"), std::string::npos);
}

TEST(ProgramPath, JoinsOrLeavesTheNameForPath) {
  EXPECT_EQ(program_path("/usr/lib/postgresql/15/bin", "pg_ctl"),
            "/usr/lib/postgresql/15/bin/pg_ctl");
  EXPECT_EQ(program_path("/opt/bin/", "initdb"), "/opt/bin/initdb");
  EXPECT_EQ(program_path("", "pg_ctl"), "pg_ctl");
}

}  // namespace
}  // namespace pghalo::pg
