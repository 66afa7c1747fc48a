#include "pg/status_query.h"

#include "common/strings.h"

namespace pghalo::pg {
namespace {

const char* const kScalarStatement =
    "SELECT pg_catalog.pg_is_in_recovery() AS in_recovery, "
    "CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL "
    "ELSE pg_catalog.pg_current_wal_lsn()::text END AS wal_lsn, "
    "pg_catalog.pg_last_wal_receive_lsn()::text AS receive_lsn, "
    "pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn, "
    // Timestamps as Python prints an aware datetime (Patroni's REST API shows them), in UTC.
    "pg_catalog.to_char(pg_catalog.pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD HH24:MI:SS.US') || '+00:00' AS replay_timestamp, "
    "CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_is_wal_replay_paused() "
    "ELSE false END AS replay_paused, "
    // Primary: the timeline in the name of the current WAL file. Replica: the timeline the
    // WAL receiver streams, else the one of the last restartpoint.
    "CASE WHEN pg_catalog.pg_is_in_recovery() THEN COALESCE("
    "(SELECT received_tli FROM pg_catalog.pg_stat_get_wal_receiver() "
    "WHERE latest_end_lsn IS NOT NULL), "
    "(SELECT timeline_id FROM pg_catalog.pg_control_checkpoint())) "
    "ELSE ('x' || pg_catalog.substr(pg_catalog.pg_walfile_name("
    "pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline, "
    "pg_catalog.to_char(pg_catalog.pg_postmaster_start_time() AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD HH24:MI:SS.US') || '+00:00' AS postmaster_start_time, "
    "pg_catalog.current_setting('server_version_num')::int AS server_version, "
    "EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE pending_restart) AS pending_restart";

const char* const kReplicationStatement =
    "SELECT usename, application_name, pg_catalog.host(client_addr) AS client_addr, state, sync_state, "
    "sync_priority, sent_lsn::text AS sent_lsn, write_lsn::text AS write_lsn, "
    "flush_lsn::text AS flush_lsn, replay_lsn::text AS replay_lsn "
    "FROM pg_catalog.pg_stat_replication ORDER BY application_name";

const char* const kWalReceiverStatement =
    "SELECT status, sender_host, sender_port, slot_name, received_tli, conninfo "
    "FROM pg_catalog.pg_stat_wal_receiver";

const char* const kSlotsStatement =
    "SELECT slot_name, slot_type, plugin, database, active, restart_lsn::text AS restart_lsn, "
    "confirmed_flush_lsn::text AS confirmed_flush_lsn "
    "FROM pg_catalog.pg_replication_slots ORDER BY slot_name";

// Reads typed columns out of one row, remembering the first problem.
class RowReader {
 public:
  RowReader(const QueryResult& result, std::size_t row, std::string what)
      : result_(result), row_(row), what_(std::move(what)) {}

  std::string text(const std::string& name) { return result_.get(row_, name).value_or(""); }
  std::optional<std::string> nullable(const std::string& name) { return result_.get(row_, name); }
  bool boolean(const std::string& name) {
    auto v = result_.get(row_, name);
    if (!v || (*v != "t" && *v != "f")) note(name, v);
    return v && *v == "t";
  }
  long long integer(const std::string& name) {
    auto v = result_.get(row_, name);
    if (!v) return 0;
    auto n = parse_int64(*v);
    if (!n) note(name, v);
    return n.value_or(0);
  }
  std::optional<model::Lsn> lsn(const std::string& name) {
    auto v = result_.get(row_, name);
    if (!v) return std::nullopt;
    auto n = parse_lsn(*v);
    if (!n) note(name, v);
    return model::Lsn(n.value_or(0));
  }
  Status status() const {
    if (problem_.empty()) return ok_status();
    return make_error(ErrorCode::kInternal, "status query: " + problem_);
  }

 private:
  void note(const std::string& name, const std::optional<std::string>& value) {
    if (problem_.empty()) {
      problem_ = what_ + "." + name + " has an unexpected value: " + value.value_or("NULL");
    }
  }
  const QueryResult& result_;
  std::size_t row_;
  std::string what_;
  std::string problem_;
};

Status apply_scalars(const QueryResult& result, model::PgObservation* obs) {
  if (result.rows.size() != 1) {
    return make_error(ErrorCode::kInternal,
                      "status query: expected one row, got " + std::to_string(result.rows.size()));
  }
  RowReader r(result, 0, "status");
  obs->in_recovery = r.boolean("in_recovery");
  obs->wal_position = r.lsn("wal_lsn").value_or(model::Lsn(0));
  obs->received_lsn = r.lsn("receive_lsn").value_or(model::Lsn(0));
  obs->replayed_lsn = r.lsn("replay_lsn").value_or(model::Lsn(0));
  obs->replayed_timestamp = r.nullable("replay_timestamp");
  obs->replay_paused = r.boolean("replay_paused");
  obs->timeline = model::TimelineId(r.integer("timeline"));
  obs->postmaster_start_time = r.text("postmaster_start_time");
  obs->server_version = static_cast<int>(r.integer("server_version"));
  obs->pending_restart = r.boolean("pending_restart");
  return r.status();
}

Status apply_replication(const QueryResult& result, model::PgObservation* obs) {
  obs->replication.clear();
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    RowReader r(result, i, "pg_stat_replication");
    model::ReplicationConnection c;
    c.usename = r.text("usename");
    c.application_name = r.text("application_name");
    c.client_addr = r.text("client_addr");
    c.state = r.text("state");
    c.sync_state = r.text("sync_state");
    c.sync_priority = static_cast<int>(r.integer("sync_priority"));
    c.sent_lsn = r.lsn("sent_lsn").value_or(model::Lsn(0));
    c.write_lsn = r.lsn("write_lsn").value_or(model::Lsn(0));
    c.flush_lsn = r.lsn("flush_lsn").value_or(model::Lsn(0));
    c.replay_lsn = r.lsn("replay_lsn").value_or(model::Lsn(0));
    PGHALO_TRY(r.status());
    obs->replication.push_back(std::move(c));
  }
  return ok_status();
}

Status apply_wal_receiver(const QueryResult& result, model::PgObservation* obs) {
  obs->wal_receiver.reset();
  if (result.rows.empty()) return ok_status();
  RowReader r(result, 0, "pg_stat_wal_receiver");
  model::WalReceiver w;
  w.status = r.text("status");
  w.sender_host = r.text("sender_host");
  w.sender_port = static_cast<int>(r.integer("sender_port"));
  w.slot_name = r.text("slot_name");
  w.received_timeline = model::TimelineId(r.integer("received_tli"));
  w.conninfo = r.text("conninfo");
  PGHALO_TRY(r.status());
  obs->wal_receiver = std::move(w);
  return ok_status();
}

Status apply_slots(const QueryResult& result, model::PgObservation* obs) {
  obs->slots.clear();
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    RowReader r(result, i, "pg_replication_slots");
    model::ReplicationSlot s;
    s.name = r.text("slot_name");
    s.type = r.text("slot_type");
    s.plugin = r.text("plugin");
    s.database = r.text("database");
    s.active = r.boolean("active");
    s.restart_lsn = r.lsn("restart_lsn");
    s.confirmed_flush_lsn = r.lsn("confirmed_flush_lsn");
    PGHALO_TRY(r.status());
    obs->slots.push_back(std::move(s));
  }
  return ok_status();
}

}  // namespace

const std::string& status_query_sql() {
  static const std::string sql = std::string(kScalarStatement) + ";\n" + kReplicationStatement +
                                 ";\n" + kWalReceiverStatement + ";\n" + kSlotsStatement;
  return sql;
}

Status apply_status_results(const std::vector<QueryResult>& results,
                            model::PgObservation* observation) {
  if (results.size() != 4) {
    return make_error(ErrorCode::kInternal, "status query: expected 4 result sets, got " +
                                                std::to_string(results.size()));
  }
  PGHALO_TRY(apply_scalars(results[0], observation));
  PGHALO_TRY(apply_replication(results[1], observation));
  PGHALO_TRY(apply_wal_receiver(results[2], observation));
  return apply_slots(results[3], observation);
}

void ReplicaTimelineMemo::apply(model::PgObservation* observation) {
  if (!observation->accepting_connections || !observation->in_recovery ||
      observation->postmaster_pid != postmaster_pid_) {
    postmaster_pid_ = observation->postmaster_pid;
    highest_ = model::TimelineId(0);
  }
  if (!observation->accepting_connections || !observation->in_recovery) return;
  if (observation->timeline.value > highest_.value) highest_ = observation->timeline;
  observation->timeline = highest_;
}

}  // namespace pghalo::pg
