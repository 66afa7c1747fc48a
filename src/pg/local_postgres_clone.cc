// LocalPostgres: making a data directory from another server (pg_basebackup), repairing one
// that diverged (crash recovery + pg_rewind), and removing it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "pg/conninfo.h"
#include "pg/local_postgres.h"
#include "pg/postmaster_pid.h"

namespace fs = std::filesystem;

namespace pghalo::pg {
namespace {

// Spec 4.8: one retry, 5 s after a failed attempt, when time allows.
constexpr Duration kBasebackupRetryPause = std::chrono::seconds(5);
constexpr Duration kMinimumAttempt = std::chrono::seconds(10);

// Options that would fight the ones pghalo passes (spec 4.8).
bool forbidden_basebackup_option(const std::string& option) {
  for (const char* name : {"pgdata", "format", "wal-method", "xlog-method", "gzip", "version",
                           "compress", "dbname", "host", "port", "username", "password"}) {
    std::string long_name = std::string("--") + name;
    if (option == long_name || option.rfind(long_name + "=", 0) == 0) return true;
  }
  for (const char* flag : {"-D", "-F", "-X", "-z", "-Z", "-d", "-h", "-p", "-U", "-w", "-W"}) {
    if (option.rfind(flag, 0) == 0) return true;
  }
  return false;
}

// pg_basebackup's default spread checkpoint paces its writes over checkpoint_completion_target
// of checkpoint_timeout's worth of dirty buffers before a single byte is copied (1.4 s on an
// empty new cluster in the lab, minutes on a busy one). The copy that follows reads the whole
// cluster anyway, so a fast checkpoint's burst costs the primary little; an operator who wants
// spread says `checkpoint: spread`.
bool sets_checkpoint_mode(const std::vector<std::string>& options) {
  for (const auto& option : options) {
    if (option == "--checkpoint" || option.rfind("--checkpoint=", 0) == 0 ||
        option.rfind("-c", 0) == 0) {
      return true;
    }
  }
  return false;
}

// Flushes the file systems holding the data directory, its pg_wal and its tablespaces: one
// syncfs() each instead of an fsync() per file. pg_rewind's own per-file pass over the whole data
// directory took most of its run time on this kind of disk; syncfs gives the same durability
// before the server starts on the rewound files.
Status sync_file_systems(const std::string& data_dir) {
  std::vector<std::string> paths = {data_dir, data_dir + "/pg_wal"};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir + "/pg_tblspc", ec)) {
    paths.push_back(entry.path().string());
  }
  for (const auto& path : paths) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return make_error(ErrorCode::kInternal, "cannot open " + path + " to sync it: " + std::strerror(errno));
    }
    int rc = ::syncfs(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) {
      return make_error(ErrorCode::kInternal, "syncfs on " + path + " failed: " + std::strerror(saved));
    }
  }
  return ok_status();
}

}  // namespace

Result<SecretFile> LocalPostgres::pgpass_for(const SourceServer& source) {
  auto entry = pgpass_entry_for(source);
  std::string content = entry ? render_pgpass({*entry}) : std::string();
  // Beside the configured pgpass (a directory the agent owns); /tmp when none is configured.
  std::string dir = settings_.pgpass_path.empty()
                        ? std::string("/tmp")
                        : fs::path(settings_.pgpass_path).parent_path().string();
  return SecretFile::create(dir.empty() ? std::string("/tmp") : dir, content);
}

Status LocalPostgres::remove_data_directory() {
  if (live_postmaster()) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "cannot remove " + settings_.data_dir + ": postgres is running");
  }
  log::warn("data_dir_remove", "removing the data directory", {{"data_dir", settings_.data_dir}});
  return remove_data_directory_at(settings_.data_dir);
}

Status LocalPostgres::basebackup(const SourceServer& source, Duration timeout) {
  for (const auto& option : settings_.basebackup_options) {
    if (forbidden_basebackup_option(option)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "postgresql.basebackup: option " + option + " is set by pghalo itself");
    }
  }
  auto pgpass = pgpass_for(source);
  if (!pgpass.ok()) return pgpass.error();
  MonoTime deadline = clock_.now() + timeout;
  Status outcome = ok_status();
  for (int attempt = 1; attempt <= 2; ++attempt) {
    PGHALO_TRY(remove_data_directory());
    PGHALO_TRY(ensure_directory(settings_.data_dir, 0700));
    Duration left = std::chrono::duration_cast<Duration>(deadline - clock_.now());
    ToolRun run{{program("pg_basebackup"), "--pgdata=" + settings_.data_dir, "-X", "stream",
                 "--dbname=" + render_tool_dsn(source)},
                left,
                {{"PGPASSFILE", pgpass->path()}},
                {}};
    if (!sets_checkpoint_mode(settings_.basebackup_options)) {
      run.argv.push_back("--checkpoint=fast");
    }
    for (const auto& option : settings_.basebackup_options) run.argv.push_back(option);
    auto result =
        run_tool(run, "pg_basebackup from " + source.host + ":" + std::to_string(source.port));
    if (result.ok()) return ensure_directory(settings_.data_dir, 0700);
    outcome = result.error();
    log::warn("basebackup_failed", "pg_basebackup failed",
              {{"attempt", attempt}, {"error", outcome.error().message}});
    (void)remove_data_directory_at(settings_.data_dir);  // no half data directory, ever
    left = std::chrono::duration_cast<Duration>(deadline - clock_.now());
    if (left < kBasebackupRetryPause + kMinimumAttempt) break;
    std::this_thread::sleep_for(kBasebackupRetryPause);
  }
  return outcome;
}

// Replays WAL in single-user mode so that the control file says "shut down": pg_rewind and the
// rewind check need a cleanly stopped cluster. As Patroni does: no standby/recovery signal (a
// single-user backend cannot run as a standby), archiving made to fail harmlessly, the
// postmaster's previous options, stdin closed so the backend exits after recovery.
Status LocalPostgres::crash_recovery(Duration timeout) {
  if (live_postmaster()) {
    return make_error(ErrorCode::kFailedPrecondition, "crash recovery: postgres is running");
  }
  log::info("crash_recovery", "running crash recovery in single-user mode",
            {{"data_dir", settings_.data_dir}});
  std::map<std::string, std::string> options;
  if (auto opts = read_text_file(settings_.data_dir + "/postmaster.opts", 64 << 10); opts.ok()) {
    for (const auto& [name, value] : parse_postmaster_opts(*opts)) options[name] = value;
  }
  options.erase("config-file");
  options.erase("config_file");
  options["archive_mode"] = "on";
  options["archive_command"] = "false";
  // A crashed cluster's startup first fsyncs every file of the data directory; syncfs (14+) is
  // one call per file system, with the same durability.
  if (auto major = read_major_version(settings_.data_dir); major.ok() && *major >= 14) {
    options.try_emplace("recovery_init_sync_method", "syncfs");
  }
  std::error_code ec;
  fs::remove(settings_.data_dir + "/standby.signal", ec);
  fs::remove(settings_.data_dir + "/recovery.signal", ec);
  fs::remove(settings_.data_dir + "/postmaster.pid", ec);
  ToolRun run{
      {program("postgres"), "--single", "-D", settings_.data_dir, "--config-file=" + config_file()},
      timeout,
      {},
      {}};
  for (const auto& [name, value] : options) {
    run.argv.push_back("-c");
    run.argv.push_back(name + "=" + value);
  }
  run.argv.push_back("template1");
  auto result = run_tool(run, "single-user crash recovery");
  if (!result.ok()) return result.error();
  return ok_status();
}

Status LocalPostgres::rewind(const SourceServer& leader, Duration timeout) {
  if (live_postmaster()) {
    return make_error(ErrorCode::kFailedPrecondition, "cannot rewind: postgres is running");
  }
  MonoTime deadline = clock_.now() + timeout;
  auto control = read_controldata();
  if (!control.ok()) return control.error();
  if (!control->cleanly_shut_down()) PGHALO_TRY(crash_recovery(timeout));
  auto pgpass = pgpass_for(leader);
  if (!pgpass.ok()) return pgpass.error();
  Duration left = std::chrono::duration_cast<Duration>(deadline - clock_.now());
  if (left <= Duration(0)) return make_error(ErrorCode::kTimeout, "no time left for pg_rewind");
  ToolRun run{{program("pg_rewind"), "-D", settings_.data_dir, "--no-sync",
               "--source-server=" + render_tool_dsn(leader)},
              left,
              {{"PGPASSFILE", pgpass->path()},
               {"PGOPTIONS", "-c statement_timeout=0"},
               {"LC_ALL", "C"},
               {"LANG", "C"}},
              {}};
  if (settings_.config_dir != settings_.data_dir) {
    run.argv.push_back("--config-file=" + config_file());
  }
  log::info("rewind", "running pg_rewind",
            {{"source", leader.host + ":" + std::to_string(leader.port)}});
  auto result = run_tool(run, "pg_rewind");
  if (!result.ok()) return result.error();
  return sync_file_systems(settings_.data_dir);  // what --no-sync left out
}

}  // namespace pghalo::pg
