// What the agent knows about its local PostgreSQL at one instant: the data directory, the
// control file, the postmaster and one SQL round-trip (spec 3.2). Produced by the pg module's
// PostgresProbe, consumed by the HA core and the status snapshot. Value type, no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/ids.h"

namespace pghalo::model {

enum class DataDirState {
  kEmpty,    // missing or empty: bootstrap or clone
  kValid,    // PG_VERSION and a readable global/pg_control
  kInvalid,  // something is there but it is not a usable data directory
};

// The fields of pg_controldata the decisions use.
struct ControlData {
  std::string cluster_state;  // "in production", "shut down", "shut down in recovery", ...
  std::string system_identifier;
  TimelineId checkpoint_timeline;     // "Latest checkpoint's TimeLineID"
  Lsn checkpoint_lsn;                 // "Latest checkpoint location"
  Lsn checkpoint_redo_lsn;            // "Latest checkpoint's REDO location"
  Lsn min_recovery_end;               // "Minimum recovery ending location"
  TimelineId min_recovery_timeline;   // "Min recovery ending loc's timeline"
  bool wal_log_hints = false;
  bool data_checksums = false;
  std::map<std::string, std::string> raw;

  bool cleanly_shut_down() const {
    return cluster_state == "shut down" || cluster_state == "shut down in recovery";
  }
  bool rewind_capable() const { return wal_log_hints || data_checksums; }
};

struct ReplicationConnection {  // a pg_stat_replication row on the primary
  std::string usename;
  std::string application_name;
  std::string client_addr;
  std::string state;
  std::string sync_state;
  int sync_priority = 0;
  Lsn sent_lsn, write_lsn, flush_lsn, replay_lsn;
};

struct WalReceiver {  // pg_stat_wal_receiver on a replica
  std::string status;  // "streaming", "catchup", ...
  std::string sender_host;
  int sender_port = 0;
  std::string slot_name;
  TimelineId received_timeline;
  std::string conninfo;  // redacted by PostgreSQL itself
};

struct ReplicationSlot {
  std::string name;
  std::string type;  // physical / logical
  std::string plugin;
  std::string database;
  bool active = false;
  std::optional<Lsn> restart_lsn;
  std::optional<Lsn> confirmed_flush_lsn;
};

struct PgObservation {
  DataDirState data_dir = DataDirState::kEmpty;
  std::optional<ControlData> control;   // when the data dir is valid
  std::optional<int> postmaster_pid;    // a live postmaster owns the data dir
  // standby.signal is in the data directory (when it is valid): a postmaster that is starting or
  // in crash recovery without it comes up as a primary.
  bool standby_signal = false;
  bool accepting_connections = false;   // the status query succeeded
  std::string query_error;              // why it did not, for logs

  // From the status query (valid when accepting_connections):
  bool in_recovery = false;
  Lsn wal_position;                 // primary: pg_current_wal_lsn()
  Lsn received_lsn;                 // replica: pg_last_wal_receive_lsn() (0 if null)
  Lsn replayed_lsn;                 // replica: pg_last_wal_replay_lsn()
  std::optional<std::string> replayed_timestamp;
  bool replay_paused = false;
  TimelineId timeline;
  std::string postmaster_start_time;  // text, as PostgreSQL prints it
  int server_version = 0;             // e.g. 150018
  bool pending_restart = false;       // some GUC waits for a restart
  std::vector<ReplicationConnection> replication;
  std::optional<WalReceiver> wal_receiver;
  std::vector<ReplicationSlot> slots;

  bool running() const { return postmaster_pid.has_value(); }
  bool is_primary() const { return accepting_connections && !in_recovery; }
  bool is_replica() const { return accepting_connections && in_recovery; }
  // A postmaster that does not answer (starting, in crash recovery, too slow to answer) and will
  // answer as a primary, whatever this process remembers: its data directory has no
  // standby.signal.
  bool unanswering_primary() const {
    return running() && !accepting_connections && data_dir == DataDirState::kValid &&
           !standby_signal;
  }
  // Replica's WAL position for races and lag: max(received, replayed) (spec 2.5).
  Lsn replica_position() const {
    return received_lsn.value > replayed_lsn.value ? received_lsn : replayed_lsn;
  }
  Lsn position() const { return is_primary() ? wal_position : replica_position(); }
  bool streaming() const { return wal_receiver && wal_receiver->status == "streaming"; }
};

}  // namespace pghalo::model
