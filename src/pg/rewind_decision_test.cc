#include "pg/rewind_decision.h"

#include <gtest/gtest.h>

#include "common/strings.h"
#include "pg/controldata.h"
#include "pg/testdata.h"

namespace pghalo::pg {
namespace {

using testing::read_testdata;

model::Lsn lsn(const char* text) { return model::Lsn(*parse_lsn(text)); }
model::TimelineId tl(std::int64_t v) { return model::TimelineId(v); }

struct RewindCase {
  const char* name;
  LocalPosition local;
  std::int64_t leader_timeline;
  std::vector<TimelineSwitch> history;
  std::optional<model::Lsn> checkpoint_end;
  bool needed;
  const char* detail_mentions;
};

class DecideRewind : public ::testing::TestWithParam<RewindCase> {};

TEST_P(DecideRewind, MatchesPatronisDivergenceRules) {
  const RewindCase& c = GetParam();
  bool asked = false;
  auto verdict = decide_rewind(c.local, tl(c.leader_timeline), c.history, [&] {
    asked = true;
    return c.checkpoint_end;
  });
  EXPECT_EQ(verdict.needed, c.needed) << verdict.detail;
  EXPECT_NE(verdict.detail.find(c.detail_mentions), std::string::npos) << verdict.detail;
  if (c.local.in_recovery) {
    EXPECT_FALSE(asked) << "pg_waldump is for a former primary only";
  }
}

const std::vector<TimelineSwitch> kForkAt3000060 = {{tl(1), lsn("0/3000060")}};

INSTANTIATE_TEST_SUITE_P(
    Cases, DecideRewind,
    ::testing::Values(RewindCase{"SameTimeline",
                                 {tl(2), lsn("0/9000000"), true},
                                 2,
                                 {},
                                 {},
                                 false,
                                 "on the leader's timeline"},
                      RewindCase{"AheadOfTheLeader",
                                 {tl(3), lsn("0/1000000"), false},
                                 2,
                                 {},
                                 {},
                                 true,
                                 "ahead of the leader's timeline 2"},
                      RewindCase{"ReplicaBeforeTheFork",
                                 {tl(1), lsn("0/3000000"), true},
                                 2,
                                 kForkAt3000060,
                                 {},
                                 false,
                                 "not past the point"},
                      RewindCase{"ReplicaExactlyAtTheFork",
                                 {tl(1), lsn("0/3000060"), true},
                                 2,
                                 kForkAt3000060,
                                 {},
                                 false,
                                 "not past the point"},
                      RewindCase{"ReplicaPastTheFork",
                                 {tl(1), lsn("0/3000100"), true},
                                 2,
                                 kForkAt3000060,
                                 {},
                                 true,
                                 "is past the point"},
                      RewindCase{"PrimaryThatWrotePastTheFork",
                                 {tl(1), lsn("0/3000060"), false},
                                 2,
                                 kForkAt3000060,
                                 {},
                                 true,
                                 "has written past"},
                      RewindCase{"PrimaryWhoseShutdownCheckpointEndsAtTheFork",
                                 {tl(1), lsn("0/2FFFFE8"), false},
                                 2,
                                 kForkAt3000060,
                                 lsn("0/3000060"),
                                 false,
                                 "shutdown checkpoint ends where"},
                      RewindCase{"PrimaryWhoseShutdownCheckpointEndsElsewhere",
                                 {tl(1), lsn("0/2FFFFE8"), false},
                                 2,
                                 kForkAt3000060,
                                 lsn("0/3000050"),
                                 true,
                                 "ends at 0/3000050"},
                      RewindCase{"PrimaryWithUnknownCheckpointEnd",
                                 {tl(1), lsn("0/2FFFFE8"), false},
                                 2,
                                 kForkAt3000060,
                                 std::nullopt,
                                 true,
                                 "unknown position"},
                      RewindCase{"TimelineSkippedByTheLeader",
                                 {tl(2), lsn("0/4000000"), true},
                                 4,
                                 {{tl(1), lsn("0/3000060")}, {tl(3), lsn("0/5000000")}},
                                 {},
                                 true,
                                 "not an ancestor"},
                      RewindCase{"TimelineMissingFromHistory",
                                 {tl(2), lsn("0/4000000"), true},
                                 3,
                                 {{tl(1), lsn("0/3000060")}},
                                 {},
                                 true,
                                 "does not appear"},
                      RewindCase{"AncestorDeeperInHistory",
                                 {tl(2), lsn("0/4000000"), true},
                                 3,
                                 {{tl(1), lsn("0/3000060")}, {tl(2), lsn("0/5000000")}},
                                 {},
                                 false,
                                 "forked off timeline 2 at 0/5000000"}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(ParseTimelineHistory, ReadsTabSeparatedLinesAndSkipsComments) {
  auto history = parse_timeline_history(
      "1\t0/3000060\tno recovery target specified\n"
      "\n"
      "# comment\n"
      "2\t0/5000A28\tat restore point \"x y\"\n");
  ASSERT_TRUE(history.ok()) << history.error().to_string();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].parent, tl(1));
  EXPECT_EQ((*history)[0].switch_point, lsn("0/3000060"));
  EXPECT_EQ((*history)[1].parent, tl(2));
  EXPECT_EQ((*history)[1].switch_point, lsn("0/5000A28"));
}

TEST(ParseTimelineHistory, RejectsALineThatIsNotTimelineAndLsn) {
  auto history = parse_timeline_history("1\t0/3000060\tok\nbroken line\n");
  ASSERT_FALSE(history.ok());
  EXPECT_NE(history.error().message.find("line 2"), std::string::npos);
}

TEST(LocalPositionFromControl, UsesTheCheckpointOfAStoppedPrimary) {
  auto control = parse_controldata(read_testdata("controldata_stopped_primary.txt"));
  ASSERT_TRUE(control.ok());
  auto position = local_position_from_control(*control);
  ASSERT_TRUE(position.ok());
  EXPECT_FALSE(position->in_recovery);
  EXPECT_EQ(position->timeline, tl(1));
  EXPECT_EQ(position->lsn, lsn("0/30180D0"));
}

TEST(LocalPositionFromControl, UsesTheMinimumRecoveryPointOfAStoppedReplica) {
  auto control = parse_controldata(read_testdata("controldata_stopped_replica.txt"));
  ASSERT_TRUE(control.ok());
  auto position = local_position_from_control(*control);
  ASSERT_TRUE(position.ok());
  EXPECT_TRUE(position->in_recovery);
  EXPECT_EQ(position->lsn, lsn("0/3018058"));
}

TEST(LocalPositionFromControl, RefusesACrashedPrimaryUntilCrashRecoveryRan) {
  auto control = parse_controldata(read_testdata("controldata_crashed_primary.txt"));
  ASSERT_TRUE(control.ok());
  auto position = local_position_from_control(*control);
  ASSERT_FALSE(position.ok());
  EXPECT_EQ(position.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(position.error().message.find("in production"), std::string::npos);
}

TEST(ParseCheckpointEnd, ReadsTheEndFromRealPgWaldumpOutput) {
  std::string output = read_testdata("waldump_shutdown_checkpoint.txt");
  EXPECT_EQ(parse_checkpoint_end(output, lsn("0/30180D0")), lsn("0/3018148"));
  EXPECT_EQ(parse_checkpoint_end(output, lsn("0/1000000")), std::nullopt);
  EXPECT_EQ(parse_checkpoint_end("pg_waldump: error: could not find file", lsn("0/30180D0")),
            std::nullopt);
}

TEST(ParseWalEnd, ReadsWhereZeroFilledSpaceFollowsTheLastRecord) {
  EXPECT_EQ(parse_wal_end(read_testdata("waldump_shutdown_checkpoint.txt")), lsn("0/3018148"));
  EXPECT_EQ(parse_wal_end("pg_waldump: error: error in WAL record at 0/402FC78: invalid record "
                          "length at 0/402FCF0: wanted 24, got 0\n"),
            lsn("0/402FCF0"));
}

TEST(ParseWalEnd, AnyOtherStopIsUnknown) {
  // Old bytes of a recycled segment, a page boundary, a missing segment, garbage.
  EXPECT_EQ(parse_wal_end("pg_waldump: error: error in WAL record at 0/402FC78: invalid record "
                          "length at 0/402FCF0: wanted 24, got 17\n"),
            std::nullopt);
  EXPECT_EQ(parse_wal_end("pg_waldump: error: error in WAL record at 0/402FC78: record with "
                          "incorrect prev-link 0/3000028 at 0/402FCF0\n"),
            std::nullopt);
  EXPECT_EQ(parse_wal_end("pg_waldump: error: error in WAL record at 0/4FFFFA0: invalid magic "
                          "number 0000 in log segment 000000010000000000000005, offset 0\n"),
            std::nullopt);
  EXPECT_EQ(parse_wal_end("pg_waldump: error: could not find file \"000000010000000000000006\""),
            std::nullopt);
  EXPECT_EQ(parse_wal_end(""), std::nullopt);
  EXPECT_EQ(parse_wal_end("error in WAL record at x: invalid record length at y: wanted 24, got 0"),
            std::nullopt);
}

}  // namespace
}  // namespace pghalo::pg
