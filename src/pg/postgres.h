// PostgreSQL seams: PostgresProbe observes the local server (fast, bounded, never changes it);
// PostgresControl changes it (initdb, files, start/stop/promote, clone, rewind). Real
// implementations use libpq and the binaries in bin_dir (spec 4.6-4.8); the simulator and unit
// tests use fakes.
//
// Blocking: every method is bounded (by its `timeout` or a few seconds). Long ones (initdb,
// basebackup, rewind, start) run on the agent's job runner, never on the HA loop.
// Thread-safety: observe() may run concurrently with one control operation at a time; control
// operations are serialised by the caller, except signal_immediate_stop(), which the fencing
// thread may call at any time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "model/postgres.h"

namespace pghalo::pg {

enum class StopMode { kSmart, kFast, kImmediate };

// A server to connect to (the leader for clone/rewind/follow, or a clonefrom member).
struct SourceServer {
  std::string host;
  int port = 5432;
  std::string user;
  std::optional<std::string> password;         // delivered through the pgpass file, never argv
  std::map<std::string, std::string> options;  // sslmode, sslrootcert, ... (from authentication)
  std::string dbname = "postgres";
};

// Standby configuration (spec 4.7). nullopt in ManagedFiles::recovery means "run as primary".
struct RecoverySettings {
  std::optional<SourceServer> upstream;  // none: standby without upstream (read-only, fenced)
  std::string application_name;          // the member name
  std::optional<std::string> primary_slot_name;
  std::string recovery_target_timeline = "latest";
  std::map<std::string, std::string> extra;  // postgresql.recovery_conf
};

struct PgPassEntry {
  std::string host = "*";
  std::string port = "*";
  std::string database = "*";
  std::string user;
  std::string password;
};

// Everything pghalo owns in the data/config directory, rendered as a whole each time.
struct ManagedFiles {
  std::map<std::string, std::string> parameters;     // effective GUCs (incl. listen/port)
  std::optional<std::vector<std::string>> pg_hba;    // replaces pg_hba.conf when set
  std::optional<std::vector<std::string>> pg_ident;
  std::optional<RecoverySettings> recovery;
  std::vector<PgPassEntry> pgpass;                   // written 0600 to the pgpass path
};

struct BootstrapSpec {
  std::vector<std::string> initdb_args;    // from bootstrap.initdb, already "--x[=y]" form
  std::string superuser;                   // --username
  std::optional<std::string> superuser_password;  // via a temporary --pwfile
  std::vector<std::string> pg_hba_append;  // bootstrap.pg_hba lines
};

enum class RewindNeed {
  kNotNeeded,   // the local history is a prefix of the leader's: just follow
  kNeeded,      // diverged, and pg_rewind can repair it (wal_log_hints or data checksums)
  kImpossible,  // diverged, but pg_rewind cannot run here: reinitialise (or stay broken)
};

struct RewindCheck {
  RewindNeed need = RewindNeed::kNotNeeded;
  std::string detail;  // e.g. "local timeline 1 at 0/3000060 has written past the point where ..."
};

class PostgresProbe {
 public:
  virtual ~PostgresProbe() = default;
  // Data dir, pg_control, postmaster.pid and one status query; at most a few seconds.
  virtual model::PgObservation observe() = 0;
  // The postmaster and the status query only, with the data directory and pg_control as the
  // last observe() saw them: cheap enough to refresh the REST status every second.
  virtual model::PgObservation observe_status() { return observe(); }
};

class PostgresControl {
 public:
  virtual ~PostgresControl() = default;

  virtual Status initdb(const BootstrapSpec& spec, Duration timeout) = 0;
  // Renders postgresql.conf, pg_hba.conf, pg_ident.conf, standby.signal and the pgpass file.
  virtual Status write_files(const ManagedFiles& files) = 0;
  // Starts the postmaster and waits until it accepts connections (or has failed).
  virtual Status start(Duration timeout) = 0;
  virtual Status stop(StopMode mode, Duration timeout) = 0;
  // SIGQUIT to the postmaster from postmaster.pid: no waiting, no allocation-heavy work.
  // Used by the fencing thread; safe to call at any time, even concurrently.
  virtual Status signal_immediate_stop() = 0;
  // Promotes a standby onto a new timeline above `above_timeline` as well as above its own (a
  // number the cluster used on a member that is gone: see timeline_reservation.h). 0: no bound.
  virtual Status promote(Duration timeout, std::int64_t above_timeline) = 0;
  virtual Status reload() = 0;
  virtual Status checkpoint(Duration timeout) = 0;
  // Runs SQL as the local superuser (users, slots). One statement or a ;-separated script.
  virtual Status execute(const std::string& sql, Duration timeout) = 0;

  // Wipes the data directory and clones `source` with pg_basebackup; on failure no half data
  // directory is left behind. The server must be stopped.
  virtual Status basebackup(const SourceServer& source, Duration timeout) = 0;
  // Compares the local history with the leader's (spec 2.12). The local server must be stopped
  // or a running replica; a stopped server that crashed gets single-user crash recovery first.
  // Errors: kUnavailable when the leader cannot be asked (unreachable, still in recovery): that
  // is "don't know yet", never a reason to reinitialise; kFailedPrecondition when the local
  // server runs as a primary or has no valid data directory.
  virtual Result<RewindCheck> check_rewind(const SourceServer& leader, Duration timeout) = 0;
  // pg_rewind from the leader (after crash recovery when needed). The server must be stopped;
  // write_files() with recovery settings must follow before start().
  virtual Status rewind(const SourceServer& leader, Duration timeout) = 0;
  virtual Status remove_data_directory() = 0;
  // On a primary: creates the physical slots of `desired` that are missing (reserving WAL at
  // once) and drops inactive physical slots not in it. Logical slots are left alone. Names must
  // match ^[a-z0-9_]{1,63}$ (kInvalidArgument). kFailedPrecondition on a replica.
  virtual Status sync_physical_slots(const std::vector<std::string>& desired,
                                     Duration timeout) = 0;
};

}  // namespace pghalo::pg
