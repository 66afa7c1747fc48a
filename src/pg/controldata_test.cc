#include "pg/controldata.h"

#include <gtest/gtest.h>

#include "common/strings.h"
#include "pg/testdata.h"

namespace pghalo::pg {
namespace {

using testing::read_testdata;

struct ControlCase {
  const char* file;
  const char* state;
  std::int64_t checkpoint_timeline;
  const char* checkpoint_lsn;
  const char* min_recovery_end;
  std::int64_t min_recovery_timeline;
  bool clean;
};

class ParsesRealOutput : public ::testing::TestWithParam<ControlCase> {};

TEST_P(ParsesRealOutput, IntoTheFieldsTheDecisionsUse) {
  const ControlCase& c = GetParam();
  auto parsed = parse_controldata(read_testdata(c.file));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->cluster_state, c.state);
  EXPECT_EQ(parsed->checkpoint_timeline.value, c.checkpoint_timeline);
  EXPECT_EQ(parsed->checkpoint_lsn.value, *parse_lsn(c.checkpoint_lsn));
  EXPECT_EQ(parsed->min_recovery_end.value, *parse_lsn(c.min_recovery_end));
  EXPECT_EQ(parsed->min_recovery_timeline.value, c.min_recovery_timeline);
  EXPECT_EQ(parsed->cleanly_shut_down(), c.clean);
  // The seed's initdb options: checksums on, wal_log_hints left at its default.
  EXPECT_TRUE(parsed->data_checksums);
  EXPECT_FALSE(parsed->wal_log_hints);
  EXPECT_TRUE(parsed->rewind_capable());
  EXPECT_EQ(parsed->system_identifier.size(), 19u);
  EXPECT_EQ(parsed->raw.at("max_connections setting"), "100");
}

INSTANTIATE_TEST_SUITE_P(
    Pg15, ParsesRealOutput,
    ::testing::Values(ControlCase{"controldata_stopped_primary.txt", "shut down", 1, "0/30180D0",
                                  "0/0", 0, true},
                      ControlCase{"controldata_crashed_primary.txt", "in production", 1,
                                  "0/2000060", "0/0", 0, false},
                      ControlCase{"controldata_running_replica.txt", "in archive recovery", 1,
                                  "0/2000060", "0/2000100", 1, false},
                      ControlCase{"controldata_stopped_replica.txt", "shut down in recovery", 1,
                                  "0/2000060", "0/3018058", 1, true}));

TEST(ParseControldata, ReadsChecksumsAndHintsFromTheirLines) {
  std::string text = read_testdata("controldata_stopped_primary.txt");
  auto replace = [&text](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  replace("wal_log_hints setting:                off", "wal_log_hints setting:                on");
  replace("Data page checksum version:           1", "Data page checksum version:           0");
  auto parsed = parse_controldata(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->wal_log_hints);
  EXPECT_FALSE(parsed->data_checksums);
}

struct BadCase {
  const char* name;
  std::string text;
  const char* mentions;
};

class RejectsBadOutput : public ::testing::TestWithParam<BadCase> {};

TEST_P(RejectsBadOutput, WithAnErrorNamingTheProblem) {
  auto parsed = parse_controldata(GetParam().text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(parsed.error().message.find(GetParam().mentions), std::string::npos)
      << parsed.error().message;
}

std::string without_line(const std::string& prefix) {
  std::string text = read_testdata("controldata_stopped_primary.txt");
  auto start = text.find(prefix);
  return text.erase(start, text.find('\n', start) - start + 1);
}

std::string with_value(const std::string& prefix, const std::string& value) {
  std::string text = read_testdata("controldata_stopped_primary.txt");
  auto start = text.find(prefix);
  auto colon = text.find(':', start);
  return text.replace(colon + 1, text.find('\n', start) - colon - 1, " " + value);
}

INSTANTIATE_TEST_SUITE_P(
    Garbage, RejectsBadOutput,
    ::testing::Values(BadCase{"Empty", "", "no \"name: value\""},
                      BadCase{"Noise", "pg_controldata: fatal: could not open file\n",
                              "Database cluster state"},
                      BadCase{"OtherLocale", "Zustand des Datenbanksystems: heruntergefahren\n",
                              "Database cluster state"},
                      BadCase{"MissingTimeline", without_line("Latest checkpoint's TimeLineID"),
                              "Latest checkpoint's TimeLineID"},
                      BadCase{"BadLsn", with_value("Latest checkpoint location", "zz/12"),
                              "Latest checkpoint location"},
                      BadCase{"BadSystemId", with_value("Database system identifier", "abc"),
                              "Database system identifier"}),
    [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace pghalo::pg
