// LocalPostgres: starting, stopping, signalling and promoting the postmaster through pg_ctl.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "pg/conf_render.h"
#include "pg/controldata.h"
#include "pg/local_postgres.h"
#include "pg/postmaster_pid.h"
#include "pg/timeline_reservation.h"

namespace pghalo::pg {
namespace {

// pg_ctl's own -t, in whole seconds, a little under our bound so pg_ctl reports first.
std::string pg_ctl_seconds(Duration timeout) {
  return std::to_string(std::max<long long>(1, timeout.count() / 1000));
}

// The runner's bound: pg_ctl's plus slack for its own start-up and exit.
Duration runner_bound(Duration timeout) { return timeout + std::chrono::seconds(5); }

const char* stop_mode_name(StopMode mode) {
  switch (mode) {
    case StopMode::kSmart:
      return "smart";
    case StopMode::kFast:
      return "fast";
    case StopMode::kImmediate:
      return "immediate";
  }
  return "fast";
}

}  // namespace

std::vector<std::string> LocalPostgres::start_options() {
  std::map<std::string, std::string> parameters;
  {
    std::lock_guard lock(state_mutex_);
    if (written_parameters_) parameters = *written_parameters_;
  }
  std::map<std::string, std::string> forced = {
      {"listen_addresses", settings_.listen_addresses},
      {"port", std::to_string(settings_.port)},
  };
  if (!settings_.scope.empty()) forced["cluster_name"] = settings_.scope;
  std::optional<model::ControlData> control;
  if (std::filesystem::exists(settings_.data_dir + "/standby.signal")) {
    auto read = read_controldata();
    if (read.ok()) control = std::move(*read);
  }
  std::vector<std::string> options = {"--config-file=" + config_file()};
  for (auto& option : command_line_options(parameters, forced, control ? &*control : nullptr)) {
    options.push_back(std::move(option));
  }
  return options;
}

Status LocalPostgres::start(Duration timeout) {
  if (live_postmaster()) return ok_status();
  if (data_dir_state(settings_.data_dir) != model::DataDirState::kValid) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "cannot start: " + settings_.data_dir + " is not a valid data directory");
  }
  // A lock file whose pid is dead or belongs to someone else would make the postmaster refuse
  // to start (or, after pid reuse, think another postmaster runs).
  std::error_code ec;
  std::filesystem::remove(settings_.data_dir + "/postmaster.pid", ec);
  // A promotion that never released its timeline placeholders (the agent died in between, or
  // pg_ctl promote timed out) would make this server take the newest one as its recovery target.
  for (const auto& path : remove_leftover_placeholders(settings_.data_dir + "/pg_wal")) {
    log::warn("timeline_placeholder_removed",
              "removed a timeline placeholder left by an unfinished promotion", {{"path", path}});
  }

  std::string log_file = server_log_file();
  PGHALO_TRY(ensure_directory(std::filesystem::path(log_file).parent_path().string(), 0700));
  std::uintmax_t log_offset = file_size_or_zero(log_file);
  std::string options;
  for (const auto& option : start_options()) {
    if (!options.empty()) options += ' ';
    options += shell_quote(option);
  }
  ToolRun run{{program("pg_ctl"), "start", "-w", "-t", pg_ctl_seconds(timeout), "-D",
               settings_.data_dir, "-l", log_file, "-o", options},
              runner_bound(timeout),
              {},
              {}};
  auto result = run_tool(run, "pg_ctl start");
  if (result.ok()) return ok_status();
  std::string log_tail = read_file_tail(log_file, log_offset, 2000);
  std::string server_log(trim(log_tail));
  ErrorCode code = result.error().code;
  // pg_ctl gave up waiting, but the postmaster may still be recovering: say so precisely.
  if (result.error().message.find("did not start in time") != std::string::npos) {
    code = ErrorCode::kTimeout;
  }
  return make_error(
      code, result.error().message + (server_log.empty() ? "" : "; server log: ") + server_log);
}

Status LocalPostgres::stop(StopMode mode, Duration timeout) {
  if (!live_postmaster()) return ok_status();
  // pg_ctl -W only signals; we watch the postmaster go ourselves every 10 ms, where pg_ctl -w
  // looks every 100 ms. A stopping leader releases its key only once the postmaster is gone, so
  // each of pg_ctl's looks would be write downtime on a graceful handover.
  ToolRun run{
      {program("pg_ctl"), "stop", "-W", "-D", settings_.data_dir, "-m", stop_mode_name(mode)},
      runner_bound(timeout),
      {},
      {}};
  auto result = run_tool(run, std::string("pg_ctl stop -m ") + stop_mode_name(mode));
  if (!result.ok() && live_postmaster()) return result.error();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (live_postmaster()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(ErrorCode::kTimeout, std::string("postgres did not shut down within ") +
                                                 pg_ctl_seconds(timeout) + " s (pg_ctl stop -m " +
                                                 stop_mode_name(mode) + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ok_status();
}

Status LocalPostgres::signal_immediate_stop() {
  // The fencing thread's path: no process spawning, no waiting. A missing or stale lock file
  // means there is nothing to stop.
  auto pid = live_postmaster();
  if (!pid) return ok_status();
  if (::kill(*pid, SIGQUIT) != 0 && errno != ESRCH) {
    return make_error(ErrorCode::kInternal, "cannot signal postmaster " + std::to_string(*pid) +
                                                ": " + std::strerror(errno));
  }
  return ok_status();
}

Status LocalPostgres::promote(Duration timeout, std::int64_t above_timeline) {
  if (!live_postmaster()) {
    return make_error(ErrorCode::kFailedPrecondition, "cannot promote: postgres is not running");
  }
  // The timeline we replay: PostgreSQL probes for history files above it. Looked up only when
  // there may be numbers to reserve, because this runs on every failover's critical path (a
  // pg_controldata run, and an IDENTIFY_SYSTEM round trip when the control file lags).
  std::int64_t current = 0;
  if (above_timeline > 0) {
    if (auto control = read_controldata(); control.ok())
      current = control->checkpoint_timeline.value;
    if (above_timeline > current) {
      if (auto replayed = replay_timeline()) current = std::max(current, replayed->value);
    }
  }
  std::string wal_dir = settings_.data_dir + "/pg_wal";
  auto reserved = reserve_timelines(wal_dir, current, above_timeline);
  if (!reserved.ok()) return reserved.error();
  ToolRun run{
      {program("pg_ctl"), "promote", "-w", "-t", pg_ctl_seconds(timeout), "-D", settings_.data_dir},
      runner_bound(timeout),
      {},
      {}};
  auto result = run_tool(run, "pg_ctl promote");
  // Once promoted the placeholders stay, below the new timeline: a standby on an older timeline
  // fetches the history file of every number between its timeline and the leader's before it
  // streams, and fails for ever on a missing one (lab etcd_faults: "could not open file
  // pg_wal/00000002.history" after a retried promotion went from timeline 1 to 3). Left behind
  // after a failed promotion they would be above this server's timeline, and a restarted standby
  // would take the newest as its recovery target and refuse to start: release them then. After a
  // timeout the promotion may still be choosing its timeline: keep them; start() removes any that
  // end up above the server's timeline.
  if (!result.ok() && result.error().code != ErrorCode::kTimeout) {
    release_timelines(*reserved);
  }
  if (!result.ok()) return result.error();
  return ok_status();
}

Status LocalPostgres::reload() {
  if (!live_postmaster()) {
    return make_error(ErrorCode::kFailedPrecondition, "cannot reload: postgres is not running");
  }
  ToolRun run{
      {program("pg_ctl"), "reload", "-D", settings_.data_dir}, settings_.pg_ctl_timeout, {}, {}};
  auto result = run_tool(run, "pg_ctl reload");
  if (!result.ok()) return result.error();
  return ok_status();
}

}  // namespace pghalo::pg
