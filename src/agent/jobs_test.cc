#include "agent/jobs.h"

#include <gtest/gtest.h>

#include "fake_postgres.h"
#include "inline_job_runner.h"

namespace pghalo::agent {
namespace {

// A start (or promote) that completes after the fencing thread fired found no postmaster to
// signal when it fired: the job itself must not leave a writable primary behind.
class FencedJob : public ::testing::Test {
 protected:
  FencedJob() : pg_(world_, "node1") {
    fakes::FakeServer& s = world_.add("node1", "127.0.0.1:5432");
    s.data_valid = true;
    s.system_identifier = world_.new_system_identifier();
    s.timeline = 1;
  }
  JobBody start_primary() {
    return [this]() -> Status { return pg_.start(std::chrono::seconds(1)); };
  }
  fakes::FakePgWorld world_;
  fakes::FakePostgres pg_;
  fakes::RecordingFencer fencer_;
};

TEST_F(FencedJob, Seed175AStartAsPrimaryThatEndsAfterTheFenceFiredStopsPostgresAndFails) {
  JobBody body = fenced_job(
      [&]() -> Status {
        fencer_.fired();  // the lease ran out while pg_ctl start was still starting the server
        return pg_.start(std::chrono::seconds(1));
      },
      &fencer_, &pg_);
  Status status = body();
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(world_.find("node1")->running) << "no primary may accept writes after the fence fired";
}

TEST_F(FencedJob, AStartThatEndsBeforeTheFenceFiresCompletesNormally) {
  JobBody body = fenced_job(start_primary(), &fencer_, &pg_);
  EXPECT_TRUE(body().ok());
  EXPECT_TRUE(world_.find("node1")->running);
}

TEST_F(FencedJob, AFenceThatFiredBeforeTheJobBeganDoesNotCount) {
  fencer_.fired();  // an earlier term's fence; the cycle that started this job armed a new one
  JobBody body = fenced_job(start_primary(), &fencer_, &pg_);
  EXPECT_TRUE(body().ok());
  EXPECT_TRUE(world_.find("node1")->running);
}

// Simulator seed 1975: node3, a former primary on timeline 3, rejoined node2, which held the lock
// but was still a standby on timeline 2 (its promote had not happened yet). The fake compared
// with it anyway and rewound node3 back onto timeline 2. LocalPostgres::check_rewind refuses a
// leader in recovery (ensure_primary): its timeline history means nothing yet. The fake does too.
TEST(FakeRewindCheck, Seed1975ALeaderStillInRecoveryIsNotComparedWith) {
  fakes::FakePgWorld world;
  fakes::FakeServer& leader = world.add("node2", "127.0.0.1:5433");
  leader.data_valid = true;
  leader.timeline = 2;
  leader.running = true;
  leader.in_recovery = true;
  fakes::FakeServer& local = world.add("node3", "127.0.0.1:5434");
  local.data_valid = true;
  local.timeline = 3;
  fakes::FakePostgres pg(world, "node3");
  pg::SourceServer source;
  source.host = "127.0.0.1";
  source.port = 5433;
  auto check = pg.check_rewind(source, std::chrono::seconds(5));
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.error().code, ErrorCode::kUnavailable);
  leader.in_recovery = false;  // promoted: now the comparison means something
  EXPECT_TRUE(pg.check_rewind(source, std::chrono::seconds(5)).ok());
}

}  // namespace
}  // namespace pghalo::agent
