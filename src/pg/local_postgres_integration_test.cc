// The life of a two-node cluster on real PostgreSQL 15: bootstrap, clone, stream, fail over,
// diverge, rewind and follow again. Runs as the postgres OS user (see pg_test_cluster.h).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/strings.h"
#include "model/slot_name.h"
#include "pg/local_postgres.h"
#include "pg/pg_test_cluster.h"
#include "pg/timeline_reservation.h"

namespace pghalo::pg {
namespace {

using namespace std::chrono_literals;
using testing::query;
using testing::wait_until;

class TwoNodeCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip = testing::prepare_process();
    if (!skip.empty()) GTEST_SKIP() << skip;
    root_ = std::make_unique<testing::TestRoot>();
    ASSERT_FALSE(root_->path().empty()) << "cannot create a test root under /tmp";
    auto ports = testing::free_ports(2);
    ASSERT_EQ(ports.size(), 2u) << "no free ports in 16100-16199";
    a_settings_ = root_->node("node-a", ports[0]);
    b_settings_ = root_->node("node-b", ports[1]);
    a_ = std::make_unique<LocalPostgres>(a_settings_, runner_, clock_);
    b_ = std::make_unique<LocalPostgres>(b_settings_, runner_, clock_);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    root_.reset();  // stops the postmasters and removes the directories
  }

  ManagedFiles primary_files() const {
    ManagedFiles files;
    files.parameters = testing::test_parameters();
    files.pg_hba = testing::test_pg_hba();
    return files;
  }

  ManagedFiles standby_files(const LocalPostgresSettings& upstream, const std::string& me) const {
    ManagedFiles files = primary_files();
    RecoverySettings recovery;
    recovery.upstream = testing::source_of(upstream, "replicator", testing::kReplicationPassword);
    recovery.application_name = me;
    recovery.primary_slot_name = model::slot_name_for_member(me);
    files.recovery = recovery;
    return files;
  }

  SourceServer superuser_of(const LocalPostgresSettings& node) const {
    return testing::source_of(node, "postgres", testing::kSuperuserPassword);
  }

  static std::string single_value(const LocalPostgresSettings& node, const std::string& sql) {
    auto result = query(node, sql);
    if (!result.ok()) return "error: " + result.error().message;
    return result->get(0, result->columns.empty() ? "" : result->columns[0]).value_or("NULL");
  }

  static bool streams(LocalPostgres& node) {
    auto obs = node.observe();
    return obs.is_replica() && obs.streaming();
  }

  process::PosixProcessRunner runner_;
  SystemClock clock_;
  std::unique_ptr<testing::TestRoot> root_;
  LocalPostgresSettings a_settings_, b_settings_;
  std::unique_ptr<LocalPostgres> a_, b_;
};

TEST_F(TwoNodeCluster, BootstrapsClonesFailsOverRewindsAndFollowsAgain) {
  // Bootstrap node-a as the seed does, with a superuser password.
  ASSERT_TRUE(a_->observe().data_dir == model::DataDirState::kEmpty);
  Status made = a_->initdb(testing::bootstrap_spec(), 120s);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  Status written = a_->write_files(primary_files());
  ASSERT_TRUE(written.ok()) << written.error().to_string();
  Status started = a_->start(60s);
  ASSERT_TRUE(started.ok()) << started.error().to_string();

  auto primary = a_->observe();
  ASSERT_TRUE(primary.is_primary()) << primary.query_error;
  EXPECT_EQ(primary.data_dir, model::DataDirState::kValid);
  EXPECT_TRUE(primary.running());
  EXPECT_EQ(primary.timeline.value, 1);
  EXPECT_GT(primary.wal_position.value, 0u);
  EXPECT_GE(primary.server_version, 150000);
  ASSERT_TRUE(primary.control.has_value());
  EXPECT_TRUE(primary.control->data_checksums);
  EXPECT_EQ(primary.control->system_identifier.size(), 19u);
  EXPECT_FALSE(primary.postmaster_start_time.empty());

  ASSERT_TRUE(a_->execute("CREATE USER replicator WITH REPLICATION PASSWORD '" +
                              std::string(testing::kReplicationPassword) + "'",
                          10s)
                  .ok());
  ASSERT_TRUE(a_->sync_physical_slots({"node_b"}, 10s).ok());

  // Clone node-b and let it stream from node-a through its slot.
  Status cloned = b_->basebackup(
      testing::source_of(a_settings_, "replicator", testing::kReplicationPassword), 120s);
  ASSERT_TRUE(cloned.ok()) << cloned.error().to_string();
  ASSERT_TRUE(b_->write_files(standby_files(a_settings_, "node-b")).ok());
  started = b_->start(60s);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  ASSERT_TRUE(wait_until([&] { return streams(*b_); }, 30s)) << b_->observe().query_error;
  auto replica = b_->observe();
  EXPECT_EQ(replica.wal_receiver->slot_name, "node_b");
  EXPECT_EQ(replica.control->system_identifier, primary.control->system_identifier);

  // Writes on the primary reach the replica; the primary sees its walsender.
  ASSERT_TRUE(a_->execute("CREATE TABLE t(i int); INSERT INTO t VALUES (1)", 10s).ok());
  std::uint64_t target = a_->observe().wal_position.value;
  EXPECT_TRUE(wait_until(
      [&] {
        auto obs = b_->observe();
        return obs.received_lsn.value >= target && obs.replayed_lsn.value >= target;
      },
      20s));
  auto with_replica = a_->observe();
  ASSERT_EQ(with_replica.replication.size(), 1u);
  EXPECT_EQ(with_replica.replication[0].application_name, "node-b");
  EXPECT_EQ(with_replica.replication[0].usename, "replicator");

  // Fail over: stop node-a, promote node-b onto timeline 2 and write there.
  ASSERT_TRUE(a_->stop(StopMode::kFast, 30s).ok());
  EXPECT_FALSE(a_->observe().running());
  EXPECT_TRUE(a_->stop(StopMode::kFast, 30s).ok()) << "stopping a stopped server succeeds";
  Status promoted = b_->promote(30s, 0);
  ASSERT_TRUE(promoted.ok()) << promoted.error().to_string();
  ASSERT_TRUE(wait_until([&] { return b_->observe().is_primary(); }, 20s));
  EXPECT_EQ(b_->observe().timeline.value, 2);
  ASSERT_TRUE(b_->execute("INSERT INTO t VALUES (2)", 10s).ok());
  ASSERT_TRUE(b_->checkpoint(30s).ok());

  // node-a comes back alone as a primary and writes a row nobody else has.
  ASSERT_TRUE(a_->write_files(primary_files()).ok());
  ASSERT_TRUE(a_->start(60s).ok());
  ASSERT_TRUE(a_->execute("INSERT INTO t VALUES (99)", 10s).ok());
  ASSERT_TRUE(a_->stop(StopMode::kFast, 30s).ok());

  auto check = a_->check_rewind(superuser_of(b_settings_), 60s);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(check->need, RewindNeed::kNeeded) << check->detail;

  // Rewind node-a and make it a standby of node-b.
  ASSERT_TRUE(b_->sync_physical_slots({"node_a"}, 10s).ok());
  Status rewound = a_->rewind(superuser_of(b_settings_), 120s);
  ASSERT_TRUE(rewound.ok()) << rewound.error().to_string();
  ASSERT_TRUE(a_->write_files(standby_files(b_settings_, "node-a")).ok());
  started = a_->start(60s);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  ASSERT_TRUE(wait_until([&] { return streams(*a_); }, 30s)) << a_->observe().query_error;
  EXPECT_EQ(a_->observe().timeline.value, 2);
  ASSERT_TRUE(b_->execute("INSERT INTO t VALUES (3)", 10s).ok());
  EXPECT_TRUE(
      wait_until([&] { return single_value(a_settings_, "SELECT count(*) FROM t") == "3"; }, 20s));
  EXPECT_EQ(single_value(a_settings_, "SELECT count(*) FROM t WHERE i = 2"), "1");
  EXPECT_EQ(single_value(a_settings_, "SELECT count(*) FROM t WHERE i = 99"), "0");

  // Following on the leader's timeline needs no rewind.
  check = a_->check_rewind(superuser_of(b_settings_), 30s);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(check->need, RewindNeed::kNotNeeded) << check->detail;

  // With its upstream gone a standby still reports the timeline it replays (IDENTIFY_SYSTEM),
  // not only what its control file last recorded.
  EXPECT_EQ(a_->replay_timeline().value_or(model::TimelineId(0)).value, 2);
  ASSERT_TRUE(b_->stop(StopMode::kFast, 30s).ok());
  ASSERT_TRUE(wait_until([&] { return a_->observe().is_replica() && !a_->observe().streaming(); }, 20s));
  EXPECT_EQ(a_->observe().timeline.value, 2);
}

// A crashed primary (immediate stop: no shutdown checkpoint) whose replica took over with all of
// its WAL follows the new leader without pg_rewind; one that wrote past the switch point needs it.
TEST_F(TwoNodeCluster, CrashedPrimaryRejoinsWithoutRewindUnlessItWrotePastTheSwitchPoint) {
  ASSERT_TRUE(a_->initdb(testing::bootstrap_spec(), 120s).ok());
  ASSERT_TRUE(a_->write_files(primary_files()).ok());
  ASSERT_TRUE(a_->start(60s).ok());
  ASSERT_TRUE(a_->execute("CREATE USER replicator WITH REPLICATION PASSWORD '" +
                              std::string(testing::kReplicationPassword) + "'",
                          10s)
                  .ok());
  ASSERT_TRUE(a_->sync_physical_slots({"node_b"}, 10s).ok());
  ASSERT_TRUE(b_->basebackup(
                    testing::source_of(a_settings_, "replicator", testing::kReplicationPassword), 120s)
                  .ok());
  ASSERT_TRUE(b_->write_files(standby_files(a_settings_, "node-b")).ok());
  ASSERT_TRUE(b_->start(60s).ok());
  ASSERT_TRUE(wait_until([&] { return streams(*b_); }, 30s));

  // node-a crashes after node-b received all of its WAL; node-b takes over.
  ASSERT_TRUE(a_->execute("CREATE TABLE t(i int); INSERT INTO t VALUES (1)", 10s).ok());
  std::uint64_t target = a_->observe().wal_position.value;
  ASSERT_TRUE(wait_until([&] { return b_->observe().replayed_lsn.value >= target; }, 20s));
  ASSERT_TRUE(a_->stop(StopMode::kImmediate, 30s).ok());
  // Say timelines 2 and 3 were used by members that have since lost their data: node-b promotes
  // above them (placeholder history files) onto timeline 4, and keeps the placeholders, because
  // node-a, a standby on timeline 1, must fetch every history file up to 4 before it streams.
  ASSERT_TRUE(b_->promote(30s, 3).ok());
  ASSERT_TRUE(wait_until([&] { return b_->observe().is_primary(); }, 20s));
  EXPECT_EQ(b_->observe().timeline.value, 4);
  EXPECT_TRUE(std::filesystem::exists(b_settings_.data_dir + "/pg_wal/00000002.history"));
  ASSERT_TRUE(b_->checkpoint(30s).ok());

  auto check = a_->check_rewind(superuser_of(b_settings_), 60s);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(check->need, RewindNeed::kNotNeeded) << check->detail;
  EXPECT_NE(check->detail.find("crashed primary"), std::string::npos) << check->detail;
  ASSERT_TRUE(a_->observe().control.has_value());
  EXPECT_EQ(a_->observe().control->cluster_state, "in production")
      << "the check must not have run crash recovery";

  // It starts as node-b's standby straight away (its crash recovery runs in that start).
  ASSERT_TRUE(b_->sync_physical_slots({"node_a"}, 10s).ok());
  ASSERT_TRUE(a_->write_files(standby_files(b_settings_, "node-a")).ok());
  ASSERT_TRUE(a_->start(60s).ok());
  ASSERT_TRUE(wait_until([&] { return streams(*a_); }, 30s)) << a_->observe().query_error;
  ASSERT_TRUE(b_->execute("INSERT INTO t VALUES (2)", 10s).ok());
  EXPECT_TRUE(
      wait_until([&] { return single_value(a_settings_, "SELECT count(*) FROM t") == "2"; }, 20s));
  EXPECT_EQ(a_->observe().timeline.value, 4);

  // Now node-b crashes after a write node-a never received: node-b wrote past the switch point.
  ASSERT_TRUE(a_->stop(StopMode::kFast, 30s).ok());
  ASSERT_TRUE(b_->execute("INSERT INTO t VALUES (99)", 10s).ok());
  ASSERT_TRUE(b_->stop(StopMode::kImmediate, 30s).ok());
  // An earlier promotion of node-a left placeholders for timelines 5 and 6 behind (its agent died
  // before pg_ctl promote): as its recovery target they would stop it from starting as a standby.
  ASSERT_TRUE(reserve_timelines(a_settings_.data_dir + "/pg_wal", 4, 6).ok());
  ASSERT_TRUE(a_->start(60s).ok());  // still node-b's standby; node-b is down
  EXPECT_FALSE(std::filesystem::exists(a_settings_.data_dir + "/pg_wal/00000006.history"));
  EXPECT_TRUE(std::filesystem::exists(a_settings_.data_dir + "/pg_wal/00000003.history"))
      << "a placeholder below the real timeline 4 stays";
  EXPECT_TRUE(a_->observe().is_replica());
  // Say timeline 5 was used by a member that has since lost its data: the promotion goes above it.
  ASSERT_TRUE(a_->promote(30s, 5).ok());
  ASSERT_TRUE(wait_until([&] { return a_->observe().is_primary(); }, 20s));
  EXPECT_EQ(a_->observe().timeline.value, 6);
  EXPECT_TRUE(std::filesystem::exists(a_settings_.data_dir + "/pg_wal/00000005.history"));
  EXPECT_TRUE(std::filesystem::exists(a_settings_.data_dir + "/pg_wal/00000006.history"));
  ASSERT_TRUE(a_->checkpoint(30s).ok());
  check = b_->check_rewind(superuser_of(a_settings_), 60s);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(check->need, RewindNeed::kNeeded) << check->detail;
  Status rewound = b_->rewind(superuser_of(a_settings_), 120s);
  ASSERT_TRUE(rewound.ok()) << rewound.error().to_string();
  ASSERT_TRUE(a_->sync_physical_slots({"node_b"}, 10s).ok());
  ASSERT_TRUE(b_->write_files(standby_files(a_settings_, "node-b")).ok());
  ASSERT_TRUE(b_->start(60s).ok());
  ASSERT_TRUE(wait_until([&] { return streams(*b_); }, 30s)) << b_->observe().query_error;
  EXPECT_EQ(b_->observe().timeline.value, 6);
  EXPECT_EQ(single_value(b_settings_, "SELECT count(*) FROM t WHERE i = 99"), "0");
}

}  // namespace
}  // namespace pghalo::pg
