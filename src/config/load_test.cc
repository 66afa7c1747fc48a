// Where the local configuration comes from: a file, a directory of files, PATRONI_CONFIGURATION;
// and the --validate-config command.
#include <gtest/gtest.h>

#include <sstream>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using testing::dump;

TEST(LoadTest, ADirectoryMergesItsYamlFilesInSortedOrder) {
  LoadResult result = testing::load("configs/merge.d");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  const Config& config = *result.config;
  EXPECT_EQ(config.name, "node2");
  EXPECT_EQ(config.source, testing::data_path("configs/merge.d"));
  EXPECT_EQ(config.restapi.listen, "0.0.0.0:8008");              // from 00-common.yml
  EXPECT_EQ(config.restapi.connect_address, "198.18.0.2:8008");  // 10-node.yaml wins
  EXPECT_EQ(config.postgresql.parameters.at("shared_buffers"), "1GB");
  EXPECT_EQ(config.postgresql.parameters.at("work_mem"), "4MB");  // merged key by key
  EXPECT_FALSE(config.tags.nofailover);                           // null removes the key
}

TEST(LoadTest, DiagnosticsOfAMergedDirectoryNameTheFileTheyCameFrom) {
  LoadResult result =
      testing::load("configs/merge.d", {{"PATRONI_RESTAPI_VERIFY_CLIENT", "sometimes"}});
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << dump(result.diagnostics);
  EXPECT_EQ(result.diagnostics[0].key, "restapi.verify_client");
  EXPECT_NE(result.diagnostics[0].message.find("PATRONI_RESTAPI_VERIFY_CLIENT"), std::string::npos);
}

TEST(LoadTest, PatroniConfigurationIsUsedWhenNoPathIsGiven) {
  std::map<std::string, std::string> env = {{"PATRONI_CONFIGURATION", testing::minimal_yaml()}};
  LoadResult result = load_local_config("", env, testing::fake_host());
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->name, "node1");
  EXPECT_EQ(result.config->source, "PATRONI_CONFIGURATION");
}

TEST(LoadTest, PatroniConfigurationIgnoresOtherVariablesAndSaysSo) {
  std::map<std::string, std::string> env = {{"PATRONI_CONFIGURATION", testing::minimal_yaml()},
                                            {"PATRONI_NAME", "ignored"}};
  LoadResult result = load_local_config("", env, testing::fake_host());
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->name, "node1");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_NE(result.diagnostics[0].message.find("PATRONI_NAME"), std::string::npos);
}

TEST(LoadTest, PatroniConfigurationErrorsNameTheVariable) {
  std::map<std::string, std::string> env = {{"PATRONI_CONFIGURATION", "scope: [\n"}};
  LoadResult result = load_local_config("", env, testing::fake_host());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.diagnostics[0].file, "PATRONI_CONFIGURATION");
}

TEST(LoadTest, NothingAtAllIsAnEmptyConfiguration) {
  LoadResult result = load_local_config("", {}, testing::fake_host());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.diagnostics[0].message.find("empty"), std::string::npos);
}

TEST(ValidateCommandTest, PrintsEveryDiagnosticAndSucceedsOnTheSeedFile) {
  std::ostringstream out;
  std::string path = testing::data_path("seed/postgresql-node1.yml");
  int status = validate_config_command(path, out, {}, testing::fake_host());
  EXPECT_EQ(status, 0);
  std::string text = out.str();
  EXPECT_NE(text.find(path + ":9:1: notice: etcd: "), std::string::npos) << text;
  EXPECT_NE(text.find(path + ":19:20: warning: bootstrap.dcs.retry_timeout: "), std::string::npos)
      << text;
  EXPECT_NE(text.find(path + ": valid (2 warnings, 3 notices)"), std::string::npos) << text;
}

TEST(ValidateCommandTest, FailsExactlyWhenThereIsAnError) {
  std::ostringstream out;
  std::string path = testing::data_path("configs/broken/typo_key.yml");
  EXPECT_EQ(validate_config_command(path, out, {}, testing::fake_host()), 1);
  EXPECT_NE(out.str().find("error: bootstrap.dcs.loop_wiat"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(path + ": invalid (1 error, 0 warnings, 0 notices)"), std::string::npos)
      << out.str();
}

// Prints what `pghalo --validate-config` says about the seed's node 1, as pasted into
// docs/configuration.md; run with --gtest_also_run_disabled_tests to refresh the doc.
TEST(ValidateCommandTest, DISABLED_PrintSeedNodeOneReport) {
  std::ostringstream out;
  validate_config_command("postgresql-node1.yml", out, {}, testing::fake_host());
  std::cout << out.str();
}

}  // namespace
}  // namespace pghalo::config
