// Broken configuration files (tests/data/configs/broken) are refused with one error that names
// the file, line, column and dotted key.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using testing::dump;
using testing::errors;

struct BrokenCase {
  const char* file;
  const char* key;
  int line;
  int column;
  const char* message_part;
};

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << c.file; }

class BrokenConfigTest : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenConfigTest, IsRefusedWithOneErrorAtTheRightPlace) {
  const BrokenCase& c = GetParam();
  LoadResult result = testing::load(std::string("configs/broken/") + c.file);
  EXPECT_FALSE(result.ok());
  std::vector<Diagnostic> found = errors(result);
  ASSERT_EQ(found.size(), 1u) << dump(result.diagnostics);
  const Diagnostic& error = found[0];
  EXPECT_EQ(error.file, testing::data_path(std::string("configs/broken/") + c.file));
  EXPECT_EQ(error.key, c.key) << error.to_string();
  EXPECT_EQ(error.line, c.line) << error.to_string();
  EXPECT_EQ(error.column, c.column) << error.to_string();
  EXPECT_NE(error.message.find(c.message_part), std::string::npos) << error.to_string();
}

INSTANTIATE_TEST_SUITE_P(
    Files, BrokenConfigTest,
    ::testing::Values(
        BrokenCase{"malformed_yaml.yml", "", 8, 11, "YAML syntax error"},
        BrokenCase{"typo_key.yml", "bootstrap.dcs.loop_wiat", 18, 5, "did you mean 'loop_wait'"},
        BrokenCase{"ttl_not_a_number.yml", "bootstrap.dcs.ttl", 17, 10,
                   "expected an integer, got \"thirty\""},
        BrokenCase{"hosts_is_a_map.yml", "etcd3.hosts", 7, 10,
                   "expected a list or a comma-separated string, got a map"},
        BrokenCase{"ttl_below_loop_wait.yml", "bootstrap.dcs.ttl", 17, 10,
                   "must be at least loop_wait (10), got 5"},
        BrokenCase{"negative_time.yml", "bootstrap.dcs.primary_start_timeout", 17, 28,
                   "must be at least 0, got -30"},
        BrokenCase{"missing_name.yml", "name", 1, 1, "is required but missing"},
        BrokenCase{"empty_scope.yml", "scope", 1, 8, "must not be empty"},
        BrokenCase{"port_out_of_range.yml", "restapi.listen", 4, 11,
                   "has port 80080, outside 1-65535"},
        BrokenCase{"listen_without_port.yml", "postgresql.listen", 9, 11, "has no port"},
        BrokenCase{"unknown_key_in_etcd.yml", "etcd3.ca_cert", 8, 3, "did you mean 'cacert'"},
        BrokenCase{"parameters_is_a_list.yml", "postgresql.parameters", 16, 5,
                   "expected a map of names to values, got a list"},
        BrokenCase{"parameter_value_is_a_list.yml", "postgresql.parameters.shared_buffers", 16, 5,
                   "must be a single value, not a list"},
        BrokenCase{"initdb_forbidden_option.yml", "bootstrap.initdb", 18, 7,
                   "option 'pgdata' is set by pghalo"},
        BrokenCase{"top_level_is_a_list.yml", "", 1, 1, "must be a map of sections, not a list"},
        BrokenCase{"two_documents.yml", "", 16, 1, "expected a single YAML document"},
        BrokenCase{"tag_not_boolean.yml", "tags.nofailover", 16, 15,
                   "expected a boolean (true/false, on/off, yes/no), got 'maybe'"},
        BrokenCase{"watchdog_mode_unknown.yml", "watchdog.mode", 16, 9,
                   "must be off, automatic or required"},
        BrokenCase{"section_name_typo.yml", "postgersql", 8, 1, "did you mean 'postgresql'"},
        BrokenCase{"no_etcd_section.yml", "etcd3", 1, 1, "is required but missing"},
        BrokenCase{"empty.yml", "", 1, 1, "the configuration is empty"},
        BrokenCase{"connect_address_without_host.yml", "restapi.connect_address", 5, 20,
                   "has no host"}));

TEST(BrokenConfigTest, AMissingFileIsAnErrorNamingIt) {
  LoadResult result = testing::load("configs/broken/does-not-exist.yml");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(errors(result).size(), 1u);
  EXPECT_NE(errors(result)[0].to_string().find("does-not-exist.yml: no such file"),
            std::string::npos);
}

TEST(BrokenConfigTest, AnAliasBombIsRefusedInsteadOfExpanded) {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    char previous = static_cast<char>(c - 1);
    yaml += std::string(1, c) + ": &" + c + " [*" + previous + ", *" + previous + ", *" + previous +
            ", *" + previous + ", *" + previous + ", *" + previous + ", *" + previous + ", *" +
            previous + ", *" + previous + ", *" + previous + "]\n";
  }
  LoadResult result = testing::parse(yaml);
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(errors(result).size(), 1u) << dump(result.diagnostics);
  EXPECT_NE(errors(result)[0].message.find("expands to more than"), std::string::npos);
}

TEST(BrokenConfigTest, DeepNestingIsRefusedWithoutCrashing) {
  std::string yaml = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  LoadResult result = testing::parse(yaml);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(errors(result).size(), 1u) << dump(result.diagnostics);
}

TEST(BrokenConfigTest, SeveralMistakesAreAllReported) {
  LoadResult result = testing::parse(testing::minimal_yaml() +
                                     "bootstrap:\n  dcs:\n    ttl: thirty\n    lop_wait: 5\n"
                                     "tags:\n  nosync: perhaps\n");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(testing::summary(errors(result)),
            (std::vector<std::string>{"error bootstrap.dcs.ttl", "error bootstrap.dcs.lop_wait",
                                      "error tags.nosync"}))
      << dump(result.diagnostics);
}

TEST(BrokenConfigTest, TheDiagnosticTextHasFileLineColumnKeyAndMessage) {
  Diagnostic d{Diagnostic::Severity::kError, "postgresql-node1.yml",           14, 5,
               "bootstrap.dcs.ttl",          "must be at least loop_wait (10)"};
  EXPECT_EQ(d.to_string(),
            "postgresql-node1.yml:14:5: bootstrap.dcs.ttl: must be at least "
            "loop_wait (10)");
  EXPECT_EQ(format_diagnostic(d),
            "postgresql-node1.yml:14:5: error: bootstrap.dcs.ttl: must be "
            "at least loop_wait (10)");
  Diagnostic from_etcd{Diagnostic::Severity::kWarning, "", 0, 0, "retry_timeout", "lowered"};
  EXPECT_EQ(from_etcd.to_string(), "retry_timeout: lowered");
  Diagnostic no_column{Diagnostic::Severity::kNotice, "f.yml", 3, 0, "", "hello"};
  EXPECT_EQ(no_column.to_string(), "f.yml:3: hello");
}

}  // namespace
}  // namespace pghalo::config
