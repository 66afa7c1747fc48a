// LocalPostgres: the real PostgresProbe and PostgresControl for one data directory on this
// machine. It observes through pg_controldata, postmaster.pid and one libpq status query, and
// acts through pg_ctl, initdb, pg_basebackup, pg_rewind and libpq (spec 2.11-2.13, 4.6-4.8).
//
// Not here: deciding what to do (ha), when to retry (agent), reading the YAML (config builds
// the settings and ManagedFiles). Passwords reach child processes only through 0600 files
// (PGPASSFILE, --pwfile), never argv or the log.
//
// Blocking: observe() takes at most ~7 s (pg_controldata bounded at 4 s in practice a few ms,
// plus one status query bounded at 3 s to connect and 3 s to answer); every control method is
// bounded by its timeout (or pg_ctl_timeout) plus a few seconds.
// Thread-safety: as the seams promise. observe() may run concurrently with one control
// operation; signal_immediate_stop() may run at any time from any thread (the fencing thread).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "pg/data_dir.h"
#include "pg/pg_session.h"
#include "pg/postgres.h"
#include "pg/rewind_decision.h"
#include "pg/status_query.h"
#include "process/process_runner.h"

namespace pghalo::pg {

struct LocalPostgresSettings {
  std::string data_dir;     // absolute
  std::string config_dir;   // where postgresql.conf & co live; empty: data_dir
  std::string bin_dir;      // empty: PATH (see resolve_bin_dir)
  std::string pgpass_path;  // postgresql.pgpass: primary_conninfo's passfile
  // The host part of postgresql.listen ("10.0.1.10", "*", "127.0.0.1,::1") and its port; they
  // override whatever `parameters` say, because pghalo connects there.
  std::string listen_addresses = "127.0.0.1";
  int port = 5432;
  // Connect over the Unix socket in this directory when set (and add it to
  // unix_socket_directories when the parameters do not name any); else over TCP.
  std::string unix_socket_dir;
  // The local superuser (postgresql.authentication.superuser).
  std::string superuser = "postgres";
  std::optional<std::string> superuser_password;
  std::map<std::string, std::string> superuser_options;  // sslmode, sslrootcert, ...
  std::string database = "postgres";
  // postgresql.authentication.replication: the rewind check asks the leader for its timeline
  // history over a replication connection, and pg_hba usually grants replication to this user
  // only (as the seed does). Empty user: use the credentials given to check_rewind().
  std::string replication_user;
  std::optional<std::string> replication_password;
  std::map<std::string, std::string> replication_options;
  std::string member_name;  // application_name of a standby
  std::string scope;        // cluster_name
  // postgresql.pg_ctl_timeout: the bound of pg_ctl calls that take no timeout (reload).
  Duration pg_ctl_timeout = std::chrono::seconds(60);
  // pg_ctl's -l file; empty: <data_dir>/log/pghalo-postmaster.log.
  std::string server_log_file;
  // postgresql.basebackup options, already "--name=value" (forbidden ones are rejected).
  std::vector<std::string> basebackup_options;
};

class LocalPostgres final : public PostgresProbe, public PostgresControl {
 public:
  // `runner` and `clock` must outlive this object.
  LocalPostgres(LocalPostgresSettings settings, process::ProcessRunner& runner, const Clock& clock);
  ~LocalPostgres() override;

  model::PgObservation observe() override;
  model::PgObservation observe_status() override;

  Status initdb(const BootstrapSpec& spec, Duration timeout) override;
  Status write_files(const ManagedFiles& files) override;
  Status start(Duration timeout) override;
  Status stop(StopMode mode, Duration timeout) override;
  Status signal_immediate_stop() override;
  Status promote(Duration timeout, std::int64_t above_timeline) override;
  Status reload() override;
  Status checkpoint(Duration timeout) override;
  Status execute(const std::string& sql, Duration timeout) override;
  Status basebackup(const SourceServer& source, Duration timeout) override;
  Result<RewindCheck> check_rewind(const SourceServer& leader, Duration timeout) override;
  Status rewind(const SourceServer& leader, Duration timeout) override;
  Status remove_data_directory() override;
  Status sync_physical_slots(const std::vector<std::string>& desired, Duration timeout) override;

  const LocalPostgresSettings& settings() const { return settings_; }
  // The timeline a running standby replays (IDENTIFY_SYSTEM over its own session); nullopt when
  // it cannot tell. Thread-safe: touches only the settings.
  std::optional<model::TimelineId> replay_timeline() const;

 private:
  struct ToolRun {
    std::vector<std::string> argv;
    Duration timeout{0};
    std::map<std::string, std::string> env;
    std::string stdin_data;
  };

  std::string program(const std::string& name) const;
  std::string config_file() const;
  std::string server_log_file() const;
  // Runs a PostgreSQL binary; an error (with the output tail) unless it exits 0.
  Result<process::ProcessResult> run_tool(const ToolRun& run, const std::string& what);
  Result<model::ControlData> read_controldata();
  PgSession::Keywords local_keywords(Duration statement_timeout) const;
  Result<std::unique_ptr<PgSession>> connect_local(Duration statement_timeout);
  Status run_status_query(model::PgObservation* observation);
  // postmaster.pid and the status query, filling `observation`.
  void probe_process(model::PgObservation* observation);
  std::optional<int> live_postmaster() const;

  // The command-line options the next start uses: from the last write_files().
  std::vector<std::string> start_options();
  Status crash_recovery(Duration timeout);
  Result<SecretFile> pgpass_for(const SourceServer& source);
  Result<std::optional<model::Lsn>> checkpoint_end(const model::ControlData& control);
  std::optional<LocalPosition> crashed_primary_position(const model::ControlData& control,
                                                        MonoTime deadline);
  Result<RewindCheck> compare_with_leader(const SourceServer& leader,
                                          const model::ControlData& control,
                                          const std::optional<LocalPosition>& crashed,
                                          MonoTime deadline);

  LocalPostgresSettings settings_;
  process::ProcessRunner& runner_;
  const Clock& clock_;

  std::mutex probe_mutex_;  // guards probe_session_, replica_timeline_, last_data_dir_, last_control_
  // What the last observe() saw on disk, reused by observe_status().
  model::DataDirState last_data_dir_ = model::DataDirState::kEmpty;
  std::optional<model::ControlData> last_control_;
  std::unique_ptr<PgSession> probe_session_;
  ReplicaTimelineMemo replica_timeline_;  // guarded by probe_mutex_ too

  std::mutex state_mutex_;  // guards written_parameters_
  std::optional<std::map<std::string, std::string>> written_parameters_;
};

}  // namespace pghalo::pg
