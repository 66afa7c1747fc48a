#include "sim_postgres.h"

namespace pghalo::sim {
namespace {

Error injected(std::string_view what) {
  return make_error(ErrorCode::kInternal, std::string(what) + " failed (injected by the simulator)");
}

Error unreachable(const pg::SourceServer& s) {
  return make_error(ErrorCode::kUnavailable, "could not connect to server " + s.host + ":" +
                                                 std::to_string(s.port) + ": timeout expired");
}

}  // namespace

SimPostgres::SimPostgres(SimEnv& env, fakes::FakePgWorld& world, const std::string& name,
                         Reach reach)
    : env_(env), world_(world), fake_(world, name), name_(name), reach_(std::move(reach)) {}

model::PgObservation SimPostgres::observe() {
  model::PgObservation o = fake_.observe();
  if (slow_disk_ && o.accepting_connections && env_.random().chance(0.3)) {
    env_.probe("status_query_timed_out");
    model::PgObservation slow;
    slow.data_dir = o.data_dir;
    slow.control = o.control;
    slow.standby_signal = o.standby_signal;
    slow.postmaster_pid = o.postmaster_pid;
    slow.query_error = "canceling statement due to statement timeout";
    return slow;
  }
  return o;
}

Status SimPostgres::initdb(const pg::BootstrapSpec& spec, Duration timeout) {
  if (plan_.fail_initdb) return injected("initdb");
  return fake_.initdb(spec, timeout);
}

Status SimPostgres::write_files(const pg::ManagedFiles& files) { return fake_.write_files(files); }

void SimPostgres::ready_at(Ms at) {
  fakes::FakeServer* s = &server();
  int generation = s->starts;
  env_.at(at, name_ + " accepts connections", [s, generation] {
    if (s->running && s->starts == generation) s->accepting = true;
  });
}

Status SimPostgres::start(Duration timeout) {
  if (plan_.fail_start) {
    env_.probe("pg_start_failed");
    return injected("pg_ctl start");
  }
  // The model runs a job's work at its end, but a real pg_ctl start launches its postmaster when
  // it begins. If the server started or stopped since then (another agent process started it, a
  // shutdown or a crash stopped it), that postmaster met the same fate: nothing starts now
  // (simulator seed 3765: an orphaned slow start of a SIGKILLed agent came up writable long
  // after the next process had started the server and, at SIGTERM, stopped it).
  if (plan_.lifecycle_at_launch >= 0 && plan_.lifecycle_at_launch != lifecycle_events()) {
    env_.probe("pg_start_overtaken");
    if (server().running) return ok_status();
    return make_error(ErrorCode::kInternal, "pg_ctl start: the postmaster it launched has exited");
  }
  Status s = fake_.start(timeout);
  if (!s.ok() || plan_.slow_start <= 0) return s;
  server().accepting = false;
  ready_at(env_.now() + plan_.slow_start);
  env_.probe("pg_slow_start_outlived_pg_ctl");
  return make_error(ErrorCode::kTimeout, "pg_ctl start: server did not start in time (it goes on starting)");
}

Status SimPostgres::stop(pg::StopMode mode, Duration timeout) {
  Status s = fake_.stop(mode, timeout);
  // The job's own stop (a restart, a reinit): the start that follows launches a new postmaster.
  if (plan_.lifecycle_at_launch >= 0) plan_.lifecycle_at_launch = lifecycle_events();
  return s;
}

Status SimPostgres::signal_immediate_stop() { return fake_.signal_immediate_stop(); }

Status SimPostgres::promote(Duration timeout, std::int64_t above_timeline) {
  if (plan_.fail_promote) {
    env_.probe("pg_promote_failed");
    return injected("pg_ctl promote");
  }
  if (server().running && !server().accepting) {
    return make_error(ErrorCode::kFailedPrecondition, "the server is still starting");
  }
  if (server().in_recovery && above_timeline > server().timeline) env_.probe("promote_above_reserved_timelines");
  return fake_.promote(timeout, above_timeline);
}

Status SimPostgres::reload() { return fake_.reload(); }

Status SimPostgres::checkpoint(Duration timeout) { return fake_.checkpoint(timeout); }

Status SimPostgres::execute(const std::string& sql, Duration timeout) {
  if (server().running && !server().accepting) {
    return make_error(ErrorCode::kUnavailable, "the database system is starting up");
  }
  return fake_.execute(sql, timeout);
}

Status SimPostgres::basebackup(const pg::SourceServer& source, Duration timeout) {
  if (!reach_(source.host, source.port)) return unreachable(source);
  if (plan_.fail_basebackup) {
    env_.probe("pg_basebackup_failed");
    // pg_basebackup removes what it wrote: no half data directory is left.
    (void)fake_.remove_data_directory();
    return injected("pg_basebackup");
  }
  return fake_.basebackup(source, timeout);
}

Result<pg::RewindCheck> SimPostgres::check_rewind(const pg::SourceServer& leader, Duration timeout) {
  if (!reach_(leader.host, leader.port)) return unreachable(leader);
  auto check = fake_.check_rewind(leader, timeout);
  if (check.ok() && check->need == pg::RewindNeed::kNeeded) env_.probe("rewind_needed");
  return check;
}

Status SimPostgres::rewind(const pg::SourceServer& leader, Duration timeout) {
  if (!reach_(leader.host, leader.port)) return unreachable(leader);
  if (plan_.fail_rewind) {
    env_.probe("pg_rewind_failed");
    return injected("pg_rewind");
  }
  return fake_.rewind(leader, timeout);
}

Status SimPostgres::remove_data_directory() { return fake_.remove_data_directory(); }

Status SimPostgres::sync_physical_slots(const std::vector<std::string>& desired, Duration timeout) {
  return fake_.sync_physical_slots(desired, timeout);
}

void SimPostgres::crash() { (void)fake_.signal_immediate_stop(); }

void SimPostgres::crash_recovery(Ms duration) {
  fakes::FakeServer& s = server();
  if (!s.running) return;
  s.accepting = false;
  ready_at(env_.now() + duration);
}

void SimPostgres::lose_data_directory() {
  crash();
  (void)fake_.remove_data_directory();
  fakes::FakeServer& s = server();
  s.timeline = 0;
  s.lsn = 0;
  s.history.clear();
  s.slots.clear();
}

void SimPostgres::corrupt_data_directory() {
  crash();
  server().corrupt = true;
}

void SimPostgres::foreign_data_directory(const std::string& system_identifier) {
  crash();
  fakes::FakeServer& s = server();
  s.corrupt = false;
  s.data_valid = true;
  s.system_identifier = system_identifier;
  s.timeline = 1;
  s.lsn = 0x1000000;
  s.history.clear();
  s.rows.clear();
}

}  // namespace pghalo::sim
