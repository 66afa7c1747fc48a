#include "pg/local_postgres.h"

#include <algorithm>
#include <filesystem>

#include "common/log.h"
#include "common/strings.h"
#include "pg/bin_dir.h"
#include "pg/controldata.h"
#include "pg/postmaster_pid.h"
#include "pg/status_query.h"

namespace pghalo::pg {
namespace {

constexpr Duration kProbeConnectTimeout = std::chrono::seconds(3);
constexpr Duration kProbeQueryTimeout = std::chrono::seconds(3);
constexpr Duration kServerStatementTimeout = std::chrono::seconds(2);
constexpr Duration kControlDataTimeout = std::chrono::seconds(4);
constexpr std::size_t kErrorOutputBytes = 1500;

// The last lines of a tool's output, enough to say why it failed.
std::string output_tail(const std::string& output) {
  std::string_view text = trim(output);
  if (text.size() > kErrorOutputBytes) text = text.substr(text.size() - kErrorOutputBytes);
  return std::string(text);
}

// Where to reach a server listening on `listen_addresses` from this machine.
std::string local_tcp_host(const std::string& listen_addresses) {
  auto addresses = split(listen_addresses, ',');
  if (addresses.empty()) return "127.0.0.1";
  const std::string& first = addresses.front();
  if (first == "*" || first == "0.0.0.0") return "127.0.0.1";
  if (first == "::") return "::1";
  return first;
}

}  // namespace

LocalPostgres::LocalPostgres(LocalPostgresSettings settings, process::ProcessRunner& runner,
                             const Clock& clock)
    : settings_(std::move(settings)), runner_(runner), clock_(clock) {
  settings_.data_dir = std::filesystem::absolute(settings_.data_dir).lexically_normal().string();
  if (settings_.data_dir.size() > 1 && settings_.data_dir.back() == '/') {
    settings_.data_dir.pop_back();
  }
  if (settings_.config_dir.empty()) settings_.config_dir = settings_.data_dir;
  settings_.config_dir =
      std::filesystem::absolute(settings_.config_dir).lexically_normal().string();
  if (settings_.config_dir.size() > 1 && settings_.config_dir.back() == '/') {
    settings_.config_dir.pop_back();
  }
}

LocalPostgres::~LocalPostgres() = default;

std::string LocalPostgres::program(const std::string& name) const {
  return program_path(settings_.bin_dir, name);
}

std::string LocalPostgres::config_file() const { return settings_.config_dir + "/postgresql.conf"; }

std::string LocalPostgres::server_log_file() const {
  if (!settings_.server_log_file.empty()) return settings_.server_log_file;
  return settings_.data_dir + "/log/pghalo-postmaster.log";
}

Result<process::ProcessResult> LocalPostgres::run_tool(const ToolRun& run,
                                                       const std::string& what) {
  process::ProcessSpec spec;
  spec.argv = run.argv;
  spec.env = run.env;
  spec.timeout = run.timeout;
  spec.stdin_data = run.stdin_data;
  // A neutral working directory: the agent's own may be unreadable to the postgres user, and
  // relative paths must never matter.
  spec.working_dir = "/";
  // Passwords must come from our pgpass file, not from the agent's environment.
  spec.unset_env = {"PGPASSWORD"};
  auto result = runner_.run(spec);
  if (!result.ok()) return make_error(result.error().code, what + ": " + result.error().message);
  if (result->timed_out) {
    return make_error(ErrorCode::kTimeout, what + " did not finish within " +
                                               std::to_string(to_seconds(run.timeout)) +
                                               " s: " + output_tail(result->output));
  }
  if (!result->succeeded()) {
    std::string how = result->signal ? "was killed by signal " + std::to_string(result->signal)
                                     : "exited with code " + std::to_string(result->exit_code);
    return make_error(ErrorCode::kFailedPrecondition,
                      what + " " + how + ": " + output_tail(result->output));
  }
  return result;
}

Result<model::ControlData> LocalPostgres::read_controldata() {
  ToolRun run{{program("pg_controldata"), "-D", settings_.data_dir},
              kControlDataTimeout,
              {{"LC_ALL", "C"}, {"LANG", "C"}},
              {}};
  auto result = run_tool(run, "pg_controldata");
  if (!result.ok()) return result.error();
  auto parsed = parse_controldata(result->output);
  if (!parsed.ok()) {
    return make_error(parsed.error().code, settings_.data_dir + ": " + parsed.error().message);
  }
  return parsed;
}

PgSession::Keywords LocalPostgres::local_keywords(Duration statement_timeout) const {
  PgSession::Keywords keywords;
  keywords.emplace_back("host", settings_.unix_socket_dir.empty()
                                    ? local_tcp_host(settings_.listen_addresses)
                                    : settings_.unix_socket_dir);
  keywords.emplace_back("port", std::to_string(settings_.port));
  keywords.emplace_back("user", settings_.superuser);
  keywords.emplace_back("dbname", settings_.database);
  if (settings_.superuser_password)
    keywords.emplace_back("password", *settings_.superuser_password);
  for (const auto& [name, value] : settings_.superuser_options) {
    if (name != "password" && name != "passfile") keywords.emplace_back(name, value);
  }
  keywords.emplace_back("fallback_application_name", "pghalo");
  keywords.emplace_back("options",
                        "-c statement_timeout=" + std::to_string(statement_timeout.count()));
  return keywords;
}

Result<std::unique_ptr<PgSession>> LocalPostgres::connect_local(Duration statement_timeout) {
  return PgSession::connect(local_keywords(statement_timeout), kProbeConnectTimeout);
}

// IDENTIFY_SYSTEM answers, on a standby, the timeline its startup process replays: exact, where
// the control file trails by up to a checkpoint_timeout. A logical-replication session
// (replication=database) is used because pg_hba's ordinary rule for the local superuser admits
// it, where a physical one would need a `replication` rule the operator may not have written.
std::optional<model::TimelineId> LocalPostgres::replay_timeline() const {
  auto keywords = local_keywords(kServerStatementTimeout);
  keywords.emplace_back("replication", "database");
  auto session = PgSession::connect(keywords, kProbeConnectTimeout);
  if (!session.ok()) return std::nullopt;
  auto identify = (*session)->query("IDENTIFY_SYSTEM", kProbeQueryTimeout);
  if (!identify.ok() || identify->empty()) return std::nullopt;
  auto timeline = parse_int64(identify->front().get(0, "timeline").value_or(""));
  if (!timeline || *timeline <= 0) return std::nullopt;
  return model::TimelineId(*timeline);
}

std::optional<int> LocalPostgres::live_postmaster() const {
  return running_postmaster_pid(settings_.data_dir);
}

model::PgObservation LocalPostgres::observe() {
  model::PgObservation observation;
  observation.data_dir = data_dir_state(settings_.data_dir);
  if (observation.data_dir == model::DataDirState::kValid) {
    auto control = read_controldata();
    std::error_code ec;
    observation.standby_signal =
        std::filesystem::exists(settings_.data_dir + "/standby.signal", ec);
    if (control.ok()) {
      observation.control = std::move(*control);
    } else {
      log::warn("pg_controldata_failed", "cannot read the control file",
                {{"data_dir", settings_.data_dir}, {"error", control.error().message}});
    }
  }
  {
    std::lock_guard lock(probe_mutex_);
    last_data_dir_ = observation.data_dir;
    last_control_ = observation.control;
  }
  probe_process(&observation);
  return observation;
}

model::PgObservation LocalPostgres::observe_status() {
  model::PgObservation observation;
  {
    std::lock_guard lock(probe_mutex_);
    observation.data_dir = last_data_dir_;
    observation.control = last_control_;
  }
  probe_process(&observation);
  return observation;
}

void LocalPostgres::probe_process(model::PgObservation* observation) {
  observation->postmaster_pid = live_postmaster();
  if (!observation->postmaster_pid) {
    observation->query_error = "postgres is not running";
    std::lock_guard lock(probe_mutex_);
    probe_session_.reset();
    return;
  }
  Status queried = run_status_query(observation);
  observation->accepting_connections = queried.ok();
  if (!queried.ok()) observation->query_error = queried.error().message;
}

Status LocalPostgres::run_status_query(model::PgObservation* observation) {
  std::lock_guard lock(probe_mutex_);
  // One retry, only when a kept connection turns out to be broken (the server restarted): a
  // timeout is not retried, so a stuck server costs one bound, not two.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = probe_session_ && probe_session_->usable();
    if (!reused) {
      probe_session_.reset();
      auto session = connect_local(kServerStatementTimeout);
      if (!session.ok()) return session.error();
      probe_session_ = std::move(*session);
    }
    auto results = probe_session_->query(status_query_sql(), kProbeQueryTimeout);
    if (results.ok()) {
      Status applied = apply_status_results(*results, observation);
      if (!applied.ok()) {
        probe_session_.reset();
      } else {
        observation->accepting_connections = true;  // the memo reads it; probe_process agrees
        if (observation->in_recovery && !observation->streaming()) {
          if (auto replayed = replay_timeline()) {
            observation->timeline = model::TimelineId(std::max(observation->timeline.value, replayed->value));
          }
        }
        replica_timeline_.apply(observation);
      }
      return applied;
    }
    bool broken_connection = results.error().code == ErrorCode::kUnavailable;
    if (!probe_session_->usable()) probe_session_.reset();
    if (!(reused && broken_connection)) return results.error();
  }
  return make_error(ErrorCode::kUnavailable, "status query failed after reconnecting");
}

}  // namespace pghalo::pg
