// LocalPostgres against one real PostgreSQL 15 server: fencing, slots, stale lock files, a
// stuck server, start failures. Runs as the postgres OS user (see pg_test_cluster.h).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "pg/local_postgres.h"
#include "pg/pg_test_cluster.h"
#include "pg/postmaster_pid.h"

namespace pghalo::pg {
namespace {

using namespace std::chrono_literals;
using testing::wait_until;

class SingleNode : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip = testing::prepare_process();
    if (!skip.empty()) GTEST_SKIP() << skip;
    root_ = std::make_unique<testing::TestRoot>();
    ASSERT_FALSE(root_->path().empty());
    auto ports = testing::free_ports(1);
    ASSERT_EQ(ports.size(), 1u) << "no free port in 16100-16199";
    settings_ = root_->node("solo", ports[0]);
    pg_ = std::make_unique<LocalPostgres>(settings_, runner_, clock_);
    // --no-sync: these tests do not need durability, and it saves seconds per test.
    Status made = pg_->initdb(testing::bootstrap_spec({"--no-sync"}), 120s);
    ASSERT_TRUE(made.ok()) << made.error().to_string();
  }
  void TearDown() override {
    pg_.reset();
    root_.reset();
  }

  void start_primary(std::map<std::string, std::string> extra = {}) {
    ManagedFiles files;
    files.parameters = testing::test_parameters();
    for (auto& [k, v] : extra) files.parameters[k] = v;
    files.pg_hba = testing::test_pg_hba();
    ASSERT_TRUE(pg_->write_files(files).ok());
    Status started = pg_->start(60s);
    ASSERT_TRUE(started.ok()) << started.error().to_string();
  }

  std::vector<std::string> slot_names() {
    std::vector<std::string> names;
    for (const auto& slot : pg_->observe().slots) names.push_back(slot.name);
    return names;
  }

  process::PosixProcessRunner runner_;
  SystemClock clock_;
  std::unique_ptr<testing::TestRoot> root_;
  LocalPostgresSettings settings_;
  std::unique_ptr<LocalPostgres> pg_;
};

TEST_F(SingleNode, ObservesAStoppedDataDirectoryThroughItsControlFile) {
  auto obs = pg_->observe();
  EXPECT_EQ(obs.data_dir, model::DataDirState::kValid);
  EXPECT_FALSE(obs.running());
  EXPECT_FALSE(obs.accepting_connections);
  ASSERT_TRUE(obs.control.has_value());
  EXPECT_EQ(obs.control->cluster_state, "shut down");
}

TEST_F(SingleNode, SignalImmediateStopMakesWritesFailAtOnce) {
  ASSERT_NO_FATAL_FAILURE(start_primary());
  PgSession::Keywords keywords = {{"host", settings_.unix_socket_dir},
                                  {"port", std::to_string(settings_.port)},
                                  {"user", "postgres"},
                                  {"password", testing::kSuperuserPassword},
                                  {"dbname", "postgres"}};
  auto session = PgSession::connect(keywords, 5s);
  ASSERT_TRUE(session.ok()) << session.error().to_string();
  ASSERT_TRUE((*session)->query("CREATE TABLE fenced(i int)", 5s).ok());

  auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(pg_->signal_immediate_stop().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 100ms) << "the fencing call must not wait";
  bool refused = wait_until(
      [&] {
        return !(*session)->usable() ||
               !(*session)->query("INSERT INTO fenced VALUES (1)", 2s).ok();
      },
      3s);
  EXPECT_TRUE(refused) << "writes still succeed after the immediate stop";
  EXPECT_TRUE(wait_until([&] { return !pg_->observe().running(); }, 10s));
  EXPECT_TRUE(pg_->signal_immediate_stop().ok()) << "a missing lock file is not an error";
}

TEST_F(SingleNode, SyncPhysicalSlotsCreatesMissingAndDropsUnwantedPhysicalSlots) {
  ASSERT_NO_FATAL_FAILURE(start_primary({{"wal_level", "logical"}}));
  ASSERT_TRUE(pg_->execute("SELECT pg_create_logical_replication_slot('logical_keep', "
                           "'test_decoding')",
                           10s)
                  .ok());
  ASSERT_TRUE(pg_->sync_physical_slots({"node_1", "node_2"}, 10s).ok());
  EXPECT_EQ(slot_names(), (std::vector<std::string>{"logical_keep", "node_1", "node_2"}));
  for (const auto& slot : pg_->observe().slots) {
    if (slot.type == "physical") {
      EXPECT_TRUE(slot.restart_lsn.has_value()) << "reserved at once";
    }
  }
  ASSERT_TRUE(pg_->sync_physical_slots({"node_2"}, 10s).ok());
  EXPECT_EQ(slot_names(), (std::vector<std::string>{"logical_keep", "node_2"}));
  auto bad = pg_->sync_physical_slots({"Bad-Name"}, 10s);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SingleNode, AStaleLockFileReadsAsNotRunningAndDoesNotBlockStart) {
  ASSERT_NO_FATAL_FAILURE(start_primary());
  ASSERT_TRUE(pg_->stop(StopMode::kImmediate, 30s).ok());
  // What a crash leaves: a lock file naming a pid that is now something else entirely.
  std::ofstream(settings_.data_dir + "/postmaster.pid") << ::getpid() << "\n"
                                                        << settings_.data_dir << "\n1700000000\n"
                                                        << settings_.port << "\n";
  auto obs = pg_->observe();
  EXPECT_FALSE(obs.running());
  EXPECT_FALSE(obs.control->cleanly_shut_down());
  Status started = pg_->start(60s);
  ASSERT_TRUE(started.ok()) << started.error().to_string();
  EXPECT_TRUE(pg_->observe().is_primary());
}

TEST_F(SingleNode, AStoppedServerDoesNotHangObserve) {
  ASSERT_NO_FATAL_FAILURE(start_primary());
  ASSERT_TRUE(pg_->observe().is_primary());  // the probe now holds a connection
  auto pid = running_postmaster_pid(settings_.data_dir);
  ASSERT_TRUE(pid.has_value());
  testing::signal_postmaster_family(*pid, SIGSTOP);  // the postmaster and every backend
  auto before = std::chrono::steady_clock::now();
  auto stuck = pg_->observe();
  auto took = std::chrono::steady_clock::now() - before;
  auto again_before = std::chrono::steady_clock::now();
  auto stuck_again = pg_->observe();  // now without a kept connection: connect must time out
  auto took_again = std::chrono::steady_clock::now() - again_before;
  testing::signal_postmaster_family(*pid, SIGCONT);
  EXPECT_TRUE(stuck.running());
  EXPECT_FALSE(stuck.accepting_connections);
  EXPECT_FALSE(stuck.query_error.empty());
  EXPECT_FALSE(stuck_again.accepting_connections);
  EXPECT_LT(took, 8s);
  EXPECT_LT(took_again, 8s);
  EXPECT_TRUE(wait_until([&] { return pg_->observe().is_primary(); }, 15s));
}

TEST_F(SingleNode, AFailedStartSaysWhyWithTheServerLog) {
  ManagedFiles files;
  files.parameters = testing::test_parameters();
  files.parameters["shared_buffers"] = "lots";
  ASSERT_TRUE(pg_->write_files(files).ok());
  Status started = pg_->start(30s);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("shared_buffers"), std::string::npos)
      << started.error().message;
  EXPECT_FALSE(pg_->observe().running());
}

TEST_F(SingleNode, WritesTheManagedFiles) {
  ManagedFiles files;
  files.parameters = testing::test_parameters();
  RecoverySettings recovery;
  recovery.upstream = testing::source_of(settings_, "replicator", "p:w");
  recovery.primary_slot_name = "solo";
  files.recovery = recovery;
  ASSERT_TRUE(pg_->write_files(files).ok());
  auto conf = read_text_file(settings_.data_dir + "/postgresql.conf");
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->rfind("# Managed by pghalo, do not edit", 0), 0u);
  EXPECT_NE(conf->find("include 'postgresql.base.conf'"), std::string::npos);
  EXPECT_NE(conf->find("primary_conninfo = 'user=replicator passfile=" + settings_.pgpass_path),
            std::string::npos);
  EXPECT_NE(conf->find("application_name=solo"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(settings_.data_dir + "/standby.signal"));
  EXPECT_TRUE(std::filesystem::exists(settings_.data_dir + "/postgresql.base.conf"));
  EXPECT_EQ(read_text_file(settings_.pgpass_path).value_or(""),
            "127.0.0.1:" + std::to_string(settings_.port) + ":*:replicator:p\\:w\n");
  files.recovery.reset();
  ASSERT_TRUE(pg_->write_files(files).ok());
  EXPECT_FALSE(std::filesystem::exists(settings_.data_dir + "/standby.signal"));
}

}  // namespace
}  // namespace pghalo::pg
