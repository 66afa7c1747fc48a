// LocalPostgres with a scripted ProcessRunner: which programs run with which arguments and
// environment, where secrets go, and what is left on disk when a tool fails.
#include "pg/local_postgres.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "pg/testdata.h"

namespace fs = std::filesystem;

namespace pghalo::pg {
namespace {

using namespace std::chrono_literals;

// Answers each run with the handler registered for the program's file name.
class ScriptedRunner final : public process::ProcessRunner {
 public:
  using Handler = std::function<process::ProcessResult(const process::ProcessSpec&)>;
  void on(const std::string& program, Handler handler) { handlers_[program] = std::move(handler); }
  Result<process::ProcessResult> run(const process::ProcessSpec& spec) override {
    calls.push_back(spec);
    auto it = handlers_.find(fs::path(spec.argv.at(0)).filename().string());
    if (it == handlers_.end())
      return make_error(ErrorCode::kNotFound, "unexpected " + spec.argv[0]);
    return it->second(spec);
  }
  std::vector<process::ProcessSpec> calls;

 private:
  std::map<std::string, Handler> handlers_;
};

process::ProcessResult exited(int code, std::string output = "") {
  process::ProcessResult r;
  r.exit_code = code;
  r.output = std::move(output);
  return r;
}

std::string file_content(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

bool argv_mentions(const process::ProcessSpec& spec, const std::string& text) {
  for (const auto& arg : spec.argv) {
    if (arg.find(text) != std::string::npos) return true;
  }
  return false;
}

class LocalPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pghalo-localpg-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    settings_.data_dir = (root_ / "data").string();
    settings_.bin_dir = "/pg/bin";
    settings_.pgpass_path = (root_ / "pgpass").string();
    settings_.superuser_password = "su-secret";
    settings_.unix_socket_dir = root_.string();
    settings_.scope = "batman";
    pg_ = std::make_unique<LocalPostgres>(settings_, runner_, clock_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void make_valid_data_dir(const char* controldata_sample) {
    fs::create_directories(root_ / "data" / "global");
    std::ofstream(root_ / "data" / "PG_VERSION") << "15\n";
    std::ofstream(root_ / "data" / "global" / "pg_control") << "binary";
    std::string sample = testing::read_testdata(controldata_sample);
    runner_.on("pg_controldata", [sample](const auto&) { return exited(0, sample); });
  }

  SourceServer leader() const {
    SourceServer s;
    s.host = "10.0.1.10";
    s.port = 5432;
    s.user = "postgres";
    s.password = "leader:secret";
    return s;
  }

  fs::path root_;
  LocalPostgresSettings settings_;
  ScriptedRunner runner_;
  ManualClock clock_;
  std::unique_ptr<LocalPostgres> pg_;
};

TEST_F(LocalPostgresTest, InitdbPassesThePasswordThroughAPrivatePwfileNeverArgv) {
  std::string pwfile_seen, pwfile_path;
  mode_t pwfile_mode = 0;
  runner_.on("initdb", [&](const process::ProcessSpec& spec) {
    for (const auto& arg : spec.argv) {
      if (arg.rfind("--pwfile=", 0) == 0) pwfile_path = arg.substr(9);
    }
    pwfile_seen = file_content(pwfile_path);
    pwfile_mode = mode_of(pwfile_path);
    fs::create_directories(settings_.data_dir);
    std::ofstream(settings_.data_dir + "/pg_hba.conf") << "local all all trust";
    return exited(0);
  });
  BootstrapSpec spec;
  spec.initdb_args = {"--encoding=UTF8", "--data-checksums"};
  spec.superuser = "postgres";
  spec.superuser_password = "su-secret";
  spec.pg_hba_append = {"host replication replicator 10.0.1.0/24 md5"};
  ASSERT_TRUE(pg_->initdb(spec, 60s).ok());
  const auto& argv = runner_.calls.at(0).argv;
  EXPECT_EQ(argv, (std::vector<std::string>{"/pg/bin/initdb", "-D", settings_.data_dir,
                                            "--encoding=UTF8", "--data-checksums",
                                            "--username=postgres", "--pwfile=" + pwfile_path}));
  EXPECT_EQ(pwfile_seen, "su-secret\n");
  EXPECT_EQ(pwfile_mode, 0600u);
  EXPECT_FALSE(fs::exists(pwfile_path)) << "the pwfile outlived initdb";
  EXPECT_EQ(file_content(settings_.data_dir + "/pg_hba.conf"),
            "local all all trust\n\nhost replication replicator 10.0.1.0/24 md5\n");
}

TEST_F(LocalPostgresTest, InitdbRefusesOptionsPghaloSetsItselfAndNonEmptyDirectories) {
  BootstrapSpec spec;
  spec.initdb_args = {"--username=admin"};
  EXPECT_EQ(pg_->initdb(spec, 60s).error().code, ErrorCode::kInvalidArgument);
  make_valid_data_dir("controldata_stopped_primary.txt");
  EXPECT_EQ(pg_->initdb(BootstrapSpec{}, 60s).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(runner_.calls.empty());
}

TEST_F(LocalPostgresTest, AFailedBasebackupLeavesNoHalfDataDirectoryAndNoPasswordInArgv) {
  std::string pgpass_seen;
  runner_.on("pg_basebackup", [&](const process::ProcessSpec& spec) {
    pgpass_seen = file_content(spec.env.at("PGPASSFILE"));
    std::ofstream(settings_.data_dir + "/half-copied") << "x";
    return exited(1, "pg_basebackup: error: connection refused");
  });
  auto status = pg_->basebackup(leader(), 5s);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("connection refused"), std::string::npos);
  EXPECT_FALSE(fs::exists(settings_.data_dir));
  const auto& spec = runner_.calls.at(0);
  EXPECT_FALSE(argv_mentions(spec, "secret"));
  EXPECT_TRUE(
      argv_mentions(spec, "--dbname=dbname=postgres user=postgres host=10.0.1.10 port=5432"));
  EXPECT_EQ(pgpass_seen, "10.0.1.10:5432:*:postgres:leader\\:secret\n");
  EXPECT_FALSE(fs::exists(spec.env.at("PGPASSFILE")));
}

TEST_F(LocalPostgresTest, BasebackupAsksForAFastCheckpointUnlessTheOperatorChoseOne) {
  runner_.on("pg_basebackup", [](const auto&) { return exited(0, ""); });
  ASSERT_TRUE(pg_->basebackup(leader(), 5s).ok());
  EXPECT_TRUE(argv_mentions(runner_.calls.at(0), "--checkpoint=fast"));

  settings_.basebackup_options = {"--checkpoint=spread", "--max-rate=100M"};
  pg_ = std::make_unique<LocalPostgres>(settings_, runner_, clock_);
  ASSERT_TRUE(pg_->basebackup(leader(), 5s).ok());
  const auto& spec = runner_.calls.at(1);
  EXPECT_TRUE(argv_mentions(spec, "--checkpoint=spread"));
  EXPECT_FALSE(argv_mentions(spec, "--checkpoint=fast"));
  EXPECT_TRUE(argv_mentions(spec, "--max-rate=100M"));
}

TEST_F(LocalPostgresTest, ObserveReportsGarbageControlDataAsUnknownWithoutFailing) {
  make_valid_data_dir("controldata_stopped_primary.txt");
  runner_.on("pg_controldata", [](const auto&) { return exited(0, "Segmentation fault\n"); });
  auto obs = pg_->observe();
  EXPECT_EQ(obs.data_dir, model::DataDirState::kValid);
  EXPECT_FALSE(obs.control.has_value());
  EXPECT_FALSE(obs.running());
  EXPECT_EQ(runner_.calls.at(0).env.at("LC_ALL"), "C");
}

// Simulator seeds 419, 1771: the fence needs to know, without memory, whether a postmaster that
// does not answer yet comes up as a primary.
TEST_F(LocalPostgresTest, Seed1771ObserveReportsWhetherTheDataDirectoryHasAStandbySignal) {
  make_valid_data_dir("controldata_stopped_primary.txt");
  EXPECT_FALSE(pg_->observe().standby_signal);
  std::ofstream(root_ / "data" / "standby.signal") << "";
  EXPECT_TRUE(pg_->observe().standby_signal);
}

TEST_F(LocalPostgresTest, StartPutsCommandLineGucsBehindPgCtlOAndReportsTheServerLog) {
  make_valid_data_dir("controldata_stopped_primary.txt");
  ManagedFiles files;
  files.parameters = {{"max_connections", "200"}, {"work_mem", "20MB"}};
  ASSERT_TRUE(pg_->write_files(files).ok());
  runner_.on("pg_ctl", [&](const process::ProcessSpec& spec) {
    std::ofstream(spec.argv.at(8), std::ios::app) << "FATAL:  could not bind socket\n";
    return exited(1, "pg_ctl: could not start server");
  });
  auto started = pg_->start(30s);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("could not bind socket"), std::string::npos)
      << started.error().message;
  const auto& argv = runner_.calls.back().argv;
  ASSERT_EQ(argv.size(), 11u);
  EXPECT_EQ(argv[7], "-l");
  EXPECT_EQ(argv[10], "'--config-file=" + settings_.data_dir +
                          "/postgresql.conf' '--cluster_name=batman' "
                          "'--listen_addresses=127.0.0.1' '--max_connections=200' '--port=5432'");
  EXPECT_NE(file_content(settings_.data_dir + "/postgresql.conf").find("work_mem = '20MB'"),
            std::string::npos);
}

TEST_F(LocalPostgresTest, RewindRecoversACrashedClusterFirstThenRunsPgRewindWithPgpass) {
  make_valid_data_dir("controldata_crashed_primary.txt");
  std::ofstream(settings_.data_dir + "/standby.signal") << "";
  std::ofstream(settings_.data_dir + "/postmaster.opts")
      << "/pg/bin/postgres \"-D\" \"" << settings_.data_dir << "\" \"--max_connections=200\"\n";
  runner_.on("postgres", [](const auto&) { return exited(0); });
  std::string pgpass_seen;
  runner_.on("pg_rewind", [&](const process::ProcessSpec& spec) {
    pgpass_seen = file_content(spec.env.at("PGPASSFILE"));
    return exited(0);
  });
  ASSERT_TRUE(pg_->rewind(leader(), 60s).ok());
  ASSERT_EQ(runner_.calls.size(), 3u);  // pg_controldata, postgres --single, pg_rewind
  const auto& single = runner_.calls[1];
  EXPECT_EQ(single.argv,
            (std::vector<std::string>{"/pg/bin/postgres", "--single", "-D", settings_.data_dir,
                                      "--config-file=" + settings_.data_dir + "/postgresql.conf",
                                      "-c", "archive_command=false", "-c", "archive_mode=on", "-c",
                                      "max_connections=200", "-c",
                                      "recovery_init_sync_method=syncfs", "template1"}));
  EXPECT_TRUE(single.stdin_data.empty()) << "stdin must be closed so the backend exits";
  EXPECT_FALSE(fs::exists(settings_.data_dir + "/standby.signal"));
  const auto& rewind = runner_.calls[2];
  EXPECT_EQ(rewind.argv, (std::vector<std::string>{
                             "/pg/bin/pg_rewind", "-D", settings_.data_dir, "--no-sync",
                             "--source-server=dbname=postgres user=postgres host=10.0.1.10 "
                             "port=5432"}));
  EXPECT_EQ(rewind.env.at("PGOPTIONS"), "-c statement_timeout=0");
  EXPECT_EQ(pgpass_seen, "10.0.1.10:5432:*:postgres:leader\\:secret\n");
}

TEST_F(LocalPostgresTest, StopAndImmediateStopOfAStoppedServerSucceedWithoutRunningAnything) {
  make_valid_data_dir("controldata_stopped_primary.txt");
  std::ofstream(settings_.data_dir + "/postmaster.pid") << "not a pid\n";
  EXPECT_TRUE(pg_->stop(StopMode::kFast, 10s).ok());
  EXPECT_TRUE(pg_->signal_immediate_stop().ok());
  EXPECT_EQ(pg_->promote(10s, 0).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(runner_.calls.empty());
}

TEST(PgSession, ReportsAnUnreachableServerAsUnavailable) {
  auto session =
      PgSession::connect({{"host", "/nonexistent-pghalo-socket-dir"}, {"port", "5"}}, 2s);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(session.error().message.find("nonexistent-pghalo-socket-dir"), std::string::npos);
}

}  // namespace
}  // namespace pghalo::pg
