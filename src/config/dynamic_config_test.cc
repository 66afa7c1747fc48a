// parse_dynamic_config(): `/config` typed with defaults, coercion, aliases and the timing rule.
// It never fails: etcd data cannot be refused, only reported and made safe.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using nlohmann::json;
using testing::dump;
using testing::summary;

DynamicConfig parse(const std::string& text, std::vector<Diagnostic>* diagnostics) {
  return parse_dynamic_config(json::parse(text), diagnostics);
}

TEST(DynamicConfigTest, AnEmptyObjectGivesTheDefaults) {
  std::vector<Diagnostic> diagnostics;
  DynamicConfig c = parse("{}", &diagnostics);
  EXPECT_TRUE(diagnostics.empty());
  EXPECT_EQ(c.ttl, 30);
  EXPECT_EQ(c.loop_wait, 10);
  EXPECT_EQ(c.retry_timeout, 10);
  EXPECT_EQ(c.maximum_lag_on_failover, 1048576);
  EXPECT_EQ(c.maximum_lag_on_syncnode, -1);
  EXPECT_EQ(c.primary_start_timeout, 300);
  EXPECT_EQ(c.primary_stop_timeout, 0);
  EXPECT_EQ(c.synchronous_node_count, 1);
  EXPECT_TRUE(c.use_slots);
  EXPECT_FALSE(c.pause);
  EXPECT_TRUE(c.slots.is_null());
}

TEST(DynamicConfigTest, IntegersGivenAsStringsAreCoerced) {
  std::vector<Diagnostic> diagnostics;
  DynamicConfig c = parse(R"({"ttl": "40", "loop_wait": " 5 ", "retry_timeout": 12.0,
                              "maximum_lag_on_failover": "2097152"})",
                          &diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << dump(diagnostics);
  EXPECT_EQ(c.ttl, 40);
  EXPECT_EQ(c.loop_wait, 5);
  EXPECT_EQ(c.retry_timeout, 12);
  EXPECT_EQ(c.maximum_lag_on_failover, 2097152);
}

struct BoolCase {
  json value;
  bool expected;
};

class DynamicBooleanTest : public ::testing::TestWithParam<BoolCase> {};

TEST_P(DynamicBooleanTest, BooleansArePatroniStyle) {
  std::vector<Diagnostic> diagnostics;
  json object = {{"synchronous_mode", GetParam().value}, {"pause", GetParam().value}};
  DynamicConfig c = parse_dynamic_config(object, &diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << dump(diagnostics);
  EXPECT_EQ(c.synchronous_mode, GetParam().expected);
  EXPECT_EQ(c.pause, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Forms, DynamicBooleanTest,
                         ::testing::Values(BoolCase{true, true}, BoolCase{false, false},
                                           BoolCase{"on", true}, BoolCase{"off", false},
                                           BoolCase{"yes", true}, BoolCase{"NO", false},
                                           BoolCase{"True", true}, BoolCase{1, true},
                                           BoolCase{0, false}));

TEST(DynamicConfigTest, BadValuesWarnWithKeyAndValueAndFallBackToDefaults) {
  std::vector<Diagnostic> diagnostics;
  DynamicConfig c = parse(R"({"maximum_lag_on_failover": "lots", "synchronous_mode": "quorum",
                              "synchronous_node_count": 0, "postgresql": {"use_slots": "maybe"}})",
                          &diagnostics);
  EXPECT_EQ(c.maximum_lag_on_failover, 1048576);
  EXPECT_FALSE(c.synchronous_mode);
  EXPECT_EQ(c.synchronous_node_count, 1);
  EXPECT_TRUE(c.use_slots);
  EXPECT_EQ(
      summary(diagnostics),
      (std::vector<std::string>{"warning maximum_lag_on_failover", "warning synchronous_node_count",
                                "warning synchronous_mode", "warning postgresql.use_slots"}));
  for (const auto& d : diagnostics) {
    EXPECT_EQ(d.severity, Diagnostic::Severity::kWarning);
    EXPECT_NE(d.message.find("using"), std::string::npos) << d.message;
  }
  EXPECT_NE(diagnostics[0].message.find("\"lots\""), std::string::npos);
}

TEST(DynamicConfigTest, MasterTimeoutsAreAliasesOfPrimaryTimeouts) {
  DynamicConfig c = parse(R"({"master_start_timeout": 60, "master_stop_timeout": 5})", nullptr);
  EXPECT_EQ(c.primary_start_timeout, 60);
  EXPECT_EQ(c.primary_stop_timeout, 5);
  DynamicConfig both =
      parse(R"({"master_start_timeout": 60, "primary_start_timeout": 90})", nullptr);
  EXPECT_EQ(both.primary_start_timeout, 90);
}

TEST(DynamicConfigTest, TheStoredObjectIsKeptAsIs) {
  DynamicConfig c = parse(R"({"retry_timeout": 30, "custom": {"x": 1}})", nullptr);
  EXPECT_EQ(c.raw["retry_timeout"], 30);
  EXPECT_EQ(c.raw["custom"]["x"], 1);
}

struct TimingCase {
  const char* stored;
  int ttl, loop_wait, retry_timeout;
  std::vector<std::string> diagnostics;
};

class TimingRuleTest : public ::testing::TestWithParam<TimingCase> {};

TEST_P(TimingRuleTest, UnsafeTimingIsMadeSafeWithAWarning) {
  std::vector<Diagnostic> diagnostics;
  DynamicConfig c = parse(GetParam().stored, &diagnostics);
  EXPECT_EQ(c.ttl, GetParam().ttl);
  EXPECT_EQ(c.loop_wait, GetParam().loop_wait);
  EXPECT_EQ(c.retry_timeout, GetParam().retry_timeout);
  EXPECT_LE(c.loop_wait + 2 * c.retry_timeout, c.ttl);
  EXPECT_EQ(summary(diagnostics), GetParam().diagnostics) << dump(diagnostics);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, TimingRuleTest,
    ::testing::Values(
        TimingCase{R"({"ttl": 30, "loop_wait": 10, "retry_timeout": 10})", 30, 10, 10, {}},
        TimingCase{R"({"ttl": 30, "loop_wait": 10, "retry_timeout": 30})",
                   30,
                   10,
                   10,
                   {"warning retry_timeout"}},
        TimingCase{R"({"ttl": 20, "loop_wait": 5, "retry_timeout": 10})",
                   20,
                   5,
                   7,
                   {"warning retry_timeout"}},
        TimingCase{R"({"ttl": 5, "loop_wait": 10})",
                   5,
                   1,
                   2,
                   {"warning loop_wait", "warning retry_timeout"}},
        TimingCase{
            R"({"ttl": 10, "loop_wait": 10, "retry_timeout": 1})", 10, 3, 1, {"warning loop_wait"}},
        TimingCase{R"({"ttl": 0, "loop_wait": -1, "retry_timeout": "0"})",
                   30,
                   10,
                   10,
                   {"warning ttl", "warning loop_wait", "warning retry_timeout"}},
        TimingCase{R"({"ttl": 2, "loop_wait": 1, "retry_timeout": 1})", 3, 1, 1, {"warning ttl"}}));

TEST(DynamicConfigTest, TheTimingWarningNamesTheRule) {
  std::vector<Diagnostic> diagnostics;
  parse(R"({"ttl": 30, "loop_wait": 10, "retry_timeout": 30})", &diagnostics);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].to_string(),
            "retry_timeout: breaks the safety rule loop_wait + 2*retry_timeout <= ttl "
            "(10 + 2*30 > 30): a primary cut off from etcd could keep accepting writes after its "
            "leader key expired; running with retry_timeout 10 (the configured value is left as "
            "written)");
}

TEST(DynamicConfigTest, ParametersBecomeStringsAndBadCommandLineValuesAreReported) {
  std::vector<Diagnostic> diagnostics;
  DynamicConfig c = parse(R"({"postgresql": {"parameters": {
      "max_connections": 10, "hot_standby": "on", "wal_log_hints": false,
      "shared_buffers": "1GB", "track_commit_timestamp": true, "random_page_cost": 1.1,
      "bad": [1], "port": 5433}}})",
                          &diagnostics);
  EXPECT_EQ(c.parameters.at("max_connections"), "10");  // kept raw; effective_parameters drops it
  EXPECT_EQ(c.parameters.at("track_commit_timestamp"), "on");
  EXPECT_EQ(c.parameters.at("random_page_cost"), "1.1");
  EXPECT_EQ(c.parameters.count("bad"), 0u);
  EXPECT_EQ(
      summary(diagnostics),
      (std::vector<std::string>{
          "warning postgresql.parameters.bad", "warning postgresql.parameters.max_connections",
          "warning postgresql.parameters.port", "warning postgresql.parameters.wal_log_hints"}))
      << dump(diagnostics);
}

TEST(DynamicConfigTest, NonObjectsAndWrongShapesNeverFail) {
  std::vector<Diagnostic> diagnostics;
  DynamicConfig c = parse_dynamic_config(json::array({1, 2}), &diagnostics);
  EXPECT_EQ(c.ttl, 30);
  EXPECT_EQ(diagnostics.size(), 1u);
  diagnostics.clear();
  c = parse(R"({"postgresql": [], "standby_cluster": "x", "postgresql_x": 1})", &diagnostics);
  EXPECT_EQ(summary(diagnostics),
            (std::vector<std::string>{"warning postgresql", "warning standby_cluster"}));
}

TEST(DynamicConfigTest, VerbatimSectionsAreKept) {
  DynamicConfig c = parse(R"({"slots": {"s": {"type": "physical"}}, "ignore_slots": [{"name": "x"}],
                              "standby_cluster": {"host": "h", "port": 5432},
                              "postgresql": {"pg_hba": ["local all all trust"],
                                             "pg_ident": ["m a b"]}})",
                          nullptr);
  EXPECT_EQ(c.slots["s"]["type"], "physical");
  EXPECT_EQ(c.ignore_slots[0]["name"], "x");
  EXPECT_EQ(c.standby_cluster["host"], "h");
  EXPECT_EQ(c.pg_hba, (std::vector<std::string>{"local all all trust"}));
  EXPECT_EQ(c.pg_ident, (std::vector<std::string>{"m a b"}));
}

}  // namespace
}  // namespace pghalo::config
