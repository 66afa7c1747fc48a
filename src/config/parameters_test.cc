// effective_parameters(): defaults, then /config, then the local file, then the per-version
// rules (spec 4.1 step 3, 4.3, 4.6).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

Config local_with(std::map<std::string, std::string> parameters) {
  Config config;
  config.scope = "batman";
  config.postgresql.listen = "198.18.0.1,127.0.0.1:5433";
  config.postgresql.parameters = std::move(parameters);
  return config;
}

DynamicConfig dynamic_with(std::map<std::string, std::string> parameters) {
  DynamicConfig dynamic;
  dynamic.parameters = std::move(parameters);
  return dynamic;
}

TEST(EffectiveParametersTest, CommandLineDefaultsAndDerivedValuesAreAlwaysThere) {
  auto p = effective_parameters(local_with({}), DynamicConfig{}, 15);
  EXPECT_EQ(p, (std::map<std::string, std::string>{
                   {"cluster_name", "batman"},
                   {"hot_standby", "on"},
                   {"listen_addresses", "198.18.0.1,127.0.0.1"},
                   {"max_connections", "100"},
                   {"max_locks_per_transaction", "64"},
                   {"max_prepared_transactions", "0"},
                   {"max_replication_slots", "10"},
                   {"max_wal_senders", "10"},
                   {"max_worker_processes", "8"},
                   {"port", "5433"},
                   {"track_commit_timestamp", "off"},
                   {"wal_keep_size", "128MB"},
                   {"wal_level", "replica"},
                   {"wal_log_hints", "on"},
               }));
}

TEST(EffectiveParametersTest, LocalBeatsDynamicForOrdinaryParameters) {
  auto p = effective_parameters(local_with({{"work_mem", "64MB"}}),
                                dynamic_with({{"work_mem", "4MB"}, {"shared_buffers", "1GB"}}), 15);
  EXPECT_EQ(p.at("work_mem"), "64MB");
  EXPECT_EQ(p.at("shared_buffers"), "1GB");
}

TEST(EffectiveParametersTest, CommandLineParametersComeOnlyFromDynamicConfig) {
  auto p = effective_parameters(local_with({{"max_connections", "500"}}),
                                dynamic_with({{"max_connections", "200"}}), 15);
  EXPECT_EQ(p.at("max_connections"), "200");
}

struct DroppedCase {
  const char* name;
  const char* value;
  const char* expected;
};

class InvalidDynamicValueTest : public ::testing::TestWithParam<DroppedCase> {};

TEST_P(InvalidDynamicValueTest, IsDroppedSoTheDefaultApplies) {
  const DroppedCase& c = GetParam();
  auto p = effective_parameters(local_with({}), dynamic_with({{c.name, c.value}}), 15);
  EXPECT_EQ(p.at(c.name), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Values, InvalidDynamicValueTest,
                         ::testing::Values(DroppedCase{"max_connections", "10", "100"},
                                           DroppedCase{"max_connections", "lots", "100"},
                                           DroppedCase{"max_wal_senders", "2", "10"},
                                           DroppedCase{"max_locks_per_transaction", "16", "64"},
                                           DroppedCase{"max_worker_processes", "1", "8"},
                                           DroppedCase{"max_replication_slots", "3", "10"},
                                           DroppedCase{"max_prepared_transactions", "-1", "0"},
                                           DroppedCase{"wal_level", "minimal", "replica"},
                                           DroppedCase{"track_commit_timestamp", "maybe", "off"},
                                           DroppedCase{"hot_standby", "off", "on"},
                                           DroppedCase{"wal_log_hints", "off", "on"},
                                           DroppedCase{"port", "6000", "5433"},
                                           DroppedCase{"cluster_name", "other", "batman"},
                                           DroppedCase{"wal_keep_size", "8MB", "128MB"}));

TEST(EffectiveParametersTest, ValidDynamicCommandLineValuesAreUsed) {
  auto p = effective_parameters(local_with({}),
                                dynamic_with({{"wal_level", "logical"},
                                              {"track_commit_timestamp", "on"},
                                              {"max_prepared_transactions", "100"},
                                              {"wal_keep_size", "1GB"}}),
                                15);
  EXPECT_EQ(p.at("wal_level"), "logical");
  EXPECT_EQ(p.at("track_commit_timestamp"), "on");
  EXPECT_EQ(p.at("max_prepared_transactions"), "100");
  EXPECT_EQ(p.at("wal_keep_size"), "1GB");
}

struct VersionCase {
  int major;
  std::map<std::string, std::string> dynamic;
  std::map<std::string, std::string> expected;  // must be present with these values
  std::vector<std::string> absent;
};

class VersionRulesTest : public ::testing::TestWithParam<VersionCase> {};

TEST_P(VersionRulesTest, ConvertsForTheServerVersion) {
  const VersionCase& c = GetParam();
  auto p = effective_parameters(local_with({}), dynamic_with(c.dynamic), c.major);
  for (const auto& [name, value] : c.expected) {
    ASSERT_EQ(p.count(name), 1u) << name;
    EXPECT_EQ(p.at(name), value) << name;
  }
  for (const auto& name : c.absent) EXPECT_EQ(p.count(name), 0u) << name;
}

INSTANTIATE_TEST_SUITE_P(
    Versions, VersionRulesTest,
    ::testing::Values(
        VersionCase{
            15, {{"wal_keep_segments", "8"}}, {{"wal_keep_size", "128MB"}}, {"wal_keep_segments"}},
        VersionCase{13,
                    {{"wal_keep_segments", "64"}},
                    {{"wal_keep_size", "1024MB"}},
                    {"wal_keep_segments"}},
        VersionCase{16,
                    {{"wal_keep_segments", "8"}, {"wal_keep_size", "2GB"}},
                    {{"wal_keep_size", "2GB"}},
                    {"wal_keep_segments"}},
        VersionCase{
            12, {{"wal_keep_size", "256MB"}}, {{"wal_keep_segments", "16"}}, {"wal_keep_size"}},
        VersionCase{12, {}, {{"wal_keep_segments", "8"}}, {"wal_keep_size"}},
        VersionCase{11, {{"wal_level", "hot_standby"}}, {{"wal_level", "replica"}}, {}},
        VersionCase{90500, {{"wal_level", "replica"}}, {{"wal_level", "hot_standby"}}, {}},
        VersionCase{90300,
                    {},
                    {{"wal_level", "hot_standby"}},
                    {"cluster_name", "track_commit_timestamp", "max_replication_slots",
                     "max_worker_processes", "wal_log_hints"}}));

TEST(EffectiveParametersTest, ParameterNamesAreCaseInsensitive) {
  auto p = effective_parameters(local_with({{"Work_Mem", "8MB"}, {"MAX_CONNECTIONS", "999"}}),
                                dynamic_with({{"work_mem", "4MB"}}), 15);
  EXPECT_EQ(p.at("work_mem"), "8MB");
  EXPECT_EQ(p.at("max_connections"), "100");
}

}  // namespace
}  // namespace pghalo::config
