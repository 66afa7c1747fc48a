// SimPostgres: one node's PostgreSQL as the agent sees it, on top of FakePostgres (data
// directory, timelines, LSNs, rows, promote, rewind). It adds what a real server does to an
// agent over time: a start that outlives pg_ctl's timeout (the server keeps starting), crash
// recovery, operations that fail (start, promote, rewind, pg_basebackup, initdb), a slow disk
// whose status query times out, and a network: clone and rewind need a path to the source.
//
// Time: control operations run when the job that called them ends (SimJobRunner); the job's
// virtual duration stands for their duration. Not thread-safe.
#pragma once

#include <functional>
#include <string>

#include "fake_postgres.h"
#include "sim_env.h"

namespace pghalo::sim {

// What the operations of the job now running will do (drawn by the fault generator).
struct PgPlan {
  bool fail_start = false;
  Ms slow_start = 0;  // > 0: start() gives up (pg_ctl timeout) while the server goes on starting
  // The server's starts + stops when the job began: where pg_ctl start launched its postmaster.
  int lifecycle_at_launch = -1;
  bool fail_promote = false;
  bool fail_rewind = false;
  bool fail_basebackup = false;
  bool fail_initdb = false;
};

class SimPostgres final : public pg::PostgresProbe, public pg::PostgresControl {
 public:
  using Reach = std::function<bool(const std::string& host, int port)>;

  SimPostgres(SimEnv& env, fakes::FakePgWorld& world, const std::string& name, Reach reach);

  model::PgObservation observe() override;
  Status initdb(const pg::BootstrapSpec& spec, Duration timeout) override;
  Status write_files(const pg::ManagedFiles& files) override;
  Status start(Duration timeout) override;
  Status stop(pg::StopMode mode, Duration timeout) override;
  Status signal_immediate_stop() override;
  Status promote(Duration timeout, std::int64_t above_timeline) override;
  Status reload() override;
  Status checkpoint(Duration timeout) override;
  Status execute(const std::string& sql, Duration timeout) override;
  Status basebackup(const pg::SourceServer& source, Duration timeout) override;
  Result<pg::RewindCheck> check_rewind(const pg::SourceServer& leader, Duration timeout) override;
  Status rewind(const pg::SourceServer& leader, Duration timeout) override;
  Status remove_data_directory() override;
  Status sync_physical_slots(const std::vector<std::string>& desired, Duration timeout) override;

  fakes::FakeServer& server() { return fake_.server(); }
  // How often the server started or stopped so far (a start job notes it when it begins).
  int lifecycle_events() { return server().starts + server().stops; }
  void set_plan(PgPlan plan) { plan_ = plan; }
  void clear_plan() { plan_ = {}; }
  // While the disk is slow, this share of status queries time out.
  void set_slow_disk(bool slow) { slow_disk_ = slow; }
  bool slow_disk() const { return slow_disk_; }

  // Faults that do not go through the agent.
  void crash();                         // the postmaster dies (SIGKILL)
  void crash_recovery(Ms duration);     // a backend crashed: no connections for `duration`
  void lose_data_directory();           // the disk was replaced
  void corrupt_data_directory();        // neither empty nor valid
  void foreign_data_directory(const std::string& system_identifier);  // another cluster's

 private:
  // The server becomes ready at `at` unless it was stopped or restarted meanwhile.
  void ready_at(Ms at);

  SimEnv& env_;
  fakes::FakePgWorld& world_;
  fakes::FakePostgres fake_;
  std::string name_;
  Reach reach_;
  PgPlan plan_;
  bool slow_disk_ = false;
};

}  // namespace pghalo::sim
