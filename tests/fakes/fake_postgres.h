// FakePostgres: a simulated PostgreSQL server per member, for agent tests and the simulator.
// It models what the HA decisions depend on: a data directory with a system identifier, a
// running postmaster that is a primary or a standby, a WAL position and a timeline with its
// history, streaming from an upstream, promotion (new timeline), pg_basebackup, divergence and
// pg_rewind. FakePgWorld holds every member's server so clone/stream/rewind can see the source.
//
// Time does not pass inside FakePostgres: every control operation completes at once. The world
// moves WAL with write() and replicate(). A server can also be running but not accepting
// connections (`accepting` false: a slow start or crash recovery), have a corrupt data directory,
// or be frozen; the simulator sets those. Not thread-safe: tests and the simulator drive it from
// one thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.h"

namespace pghalo::fakes {

class FakePgWorld;

// What is on one member's disk and whether its postmaster runs.
struct FakeServer {
  std::string name;
  std::string address;  // "host:port" its conn_url names
  bool data_valid = false;
  std::string system_identifier;
  std::int64_t timeline = 0;
  std::uint64_t lsn = 0;  // end of the local WAL (flushed)
  // Timeline history: (timeline that ended, switch LSN), like <tl>.history.
  std::vector<std::pair<std::int64_t, std::uint64_t>> history;
  bool running = false;
  bool accepting = true;  // while running: false during a slow start or crash recovery
  bool in_recovery = false;
  bool standby_configured = false;      // standby.signal
  std::optional<std::string> upstream;  // "host:port" from primary_conninfo
  bool cleanly_shut_down = true;
  bool was_primary_at_shutdown = false;
  bool broken = false;  // start() fails (a test's fault)
  bool corrupt = false;  // the data directory is neither empty nor valid (kInvalid)
  bool frozen = false;   // the host is paused: no client write, no streaming either way
  std::vector<std::string> slots;
  // synchronous_standby_names as the running server loaded it (at start or reload): a primary
  // acknowledges a commit only once its synchronous standbys have it (FakePgWorld::write).
  std::string synchronous_standby_names;
  // Every parameter the running server loaded from its files (at start or reload).
  std::map<std::string, std::string> parameters;
  int starts = 0, promotions = 0, rewinds = 0, clones = 0;
  int stops = 0;  // a running server stopped or crashed

  // Rows written on this server's timeline lineage: (lsn, payload) — the simulator's client
  // workload checks acknowledged rows survive.
  std::vector<std::pair<std::uint64_t, std::string>> rows;
};

// The server's <timeline>.history text, as PostgreSQL writes it (for read_timeline_history).
std::string timeline_history_text(const FakeServer& server);

class FakePostgres final : public pg::PostgresProbe, public pg::PostgresControl {
 public:
  FakePostgres(FakePgWorld& world, std::string name);

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

  FakeServer& server();

 private:
  FakePgWorld& world_;
  std::string name_;
  std::optional<pg::RecoverySettings> pending_recovery_;
  std::string pending_sync_names_;  // from the last write_files, loaded at start or reload
  std::map<std::string, std::string> pending_parameters_;
  bool files_written_ = false;
};

class FakePgWorld {
 public:
  // Registers a member's server; `address` is what its conn_url says ("127.0.0.1:5432").
  FakeServer& add(const std::string& name, const std::string& address);
  FakeServer* find(const std::string& name);
  FakeServer* find_by_address(const std::string& host, int port);

  // A client write on `name`: succeeds (returns the new LSN) only on a running primary. With
  // synchronous_standby_names set, the commit is acknowledged only when enough synchronous
  // standbys received it (they stream it at once); otherwise the row stays local and unacked,
  // as a commit waiting for a standby that does not come.
  std::optional<std::uint64_t> write(const std::string& name, const std::string& payload,
                                     std::uint64_t bytes = 100);
  // Streams WAL to every running standby from its running upstream on a compatible timeline.
  void replicate();
  // The same for one standby; false when it could not stream (no upstream, diverged, cut off).
  bool replicate_server(FakeServer& standby);
  // Optional network between servers (the simulator's partitions): may `standby` stream from
  // `upstream` now? Unset: always.
  std::function<bool(const FakeServer& standby, const FakeServer& upstream)> can_stream;
  std::string new_system_identifier();

  // The standbys streaming from `primary` now (running, connected, not diverged), by name.
  std::vector<FakeServer*> streaming_from(const FakeServer& primary);
  // pg_stat_replication.sync_state of `standby` on `primary`: "sync", "potential" or "async".
  std::string sync_state(const FakeServer& primary, const FakeServer& standby);
  // How many synchronous standbys must confirm a commit on `primary` (0: none).
  static int sync_count(const FakeServer& primary);

  // Would a server on (timeline, lsn) with `history` be able to follow `source`?
  static bool diverged(const FakeServer& local, const FakeServer& source);

 private:
  std::map<std::string, FakeServer> servers_;
  std::uint64_t next_sysid_ = 7000000000000000001ULL;
};

}  // namespace pghalo::fakes
