#include "api/metrics.h"

#include "api/timestamps.h"
#include "common/strings.h"

namespace pghalo::api {
namespace {

class MetricsWriter {
 public:
  explicit MetricsWriter(const std::string& scope) {
    labels_ = "{scope=\"";
    for (char c : scope) {
      if (c == '"' || c == '\\') labels_ += '\\';
      if (c == '\n') {
        labels_ += "\\n";
        continue;
      }
      labels_ += c;
    }
    labels_ += "\"}";
  }

  void add(const char* name, const char* type, const char* help, const std::string& value) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
    out_ += name;
    out_ += labels_;
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void gauge(const char* name, const char* help, long long value) {
    add(name, "gauge", help, std::to_string(value));
  }
  void counter(const char* name, const char* help, std::uint64_t value) {
    add(name, "counter", help, std::to_string(value));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string labels_;
  std::string out_;
};

std::string epoch_text(const std::optional<std::string>& pg_text) {
  if (!pg_text || pg_text->empty()) return "0";
  auto parsed = parse_timestamp(*pg_text);
  return parsed ? format_epoch_seconds(*parsed) : "0";
}

}  // namespace

std::string padded_version(const std::string& version) {
  std::string out;
  for (const auto& part : split(version, '.', false)) {
    out += part.size() < 2 ? std::string(2 - part.size(), '0') + part : part;
  }
  return out;
}

std::string metrics_text(const model::StatusSnapshot& s, const NodeStatus& node) {
  const auto& pg = s.pg;
  bool primary_xlog = node.answered && !node.in_recovery;
  bool replica_xlog = node.answered && node.in_recovery;
  bool primary_role = node.role == "master" || node.role == "primary";
  std::uint64_t received = pg.received_lsn.value != 0 ? pg.received_lsn.value : pg.replayed_lsn.value;

  MetricsWriter m(s.scope);
  m.add("patroni_version", "gauge", "Version of the Patroni behaviour served, two digits a part.",
        padded_version(s.version));
  m.gauge("patroni_postgres_running", "1 when PostgreSQL is running, else 0.",
          node.state == "running");
  m.add("patroni_postmaster_start_time", "gauge", "When the postmaster started, epoch seconds.",
        node.answered ? epoch_text(pg.postmaster_start_time) : "0");
  m.gauge("patroni_master", "1 when this node runs the primary, else 0.", primary_role);
  m.gauge("patroni_primary", "1 when this node runs the primary, else 0.", primary_role);
  m.counter("patroni_xlog_location", "Current WAL location of the primary; 0 on other nodes.",
            primary_xlog ? pg.wal_position.value : 0);
  m.gauge("patroni_standby_leader", "1 when this node is the standby leader, else 0.",
          node.role == "standby_leader");
  m.gauge("patroni_replica", "1 when this node is a replica, else 0.", node.role == "replica");
  m.gauge("patroni_sync_standby", "1 when this node is a synchronous standby, else 0.",
          node.sync_standby);
  m.counter("patroni_xlog_received_location", "WAL location received by a replica; 0 otherwise.",
            replica_xlog ? received : 0);
  m.counter("patroni_xlog_replayed_location", "WAL location replayed by a replica; 0 otherwise.",
            replica_xlog ? pg.replayed_lsn.value : 0);
  m.add("patroni_xlog_replayed_timestamp", "gauge",
        "Commit time of the last replayed transaction, epoch seconds; 0 when unknown.",
        replica_xlog ? epoch_text(pg.replayed_timestamp) : "0");
  m.gauge("patroni_xlog_paused", "1 when WAL replay is paused, else 0.",
          replica_xlog && pg.replay_paused);
  m.gauge("patroni_postgres_server_version", "PostgreSQL server version number; 0 when down.",
          node.answered ? pg.server_version : 0);
  m.gauge("patroni_cluster_unlocked", "1 when no member holds the leader key, else 0.",
          node.cluster_unlocked);
  m.gauge("patroni_failsafe_mode_is_active", "1 while failsafe mode keeps the primary up, else 0.",
          s.failsafe_active);
  m.counter("patroni_postgres_timeline", "Timeline of this PostgreSQL; 0 when down.",
            node.answered && pg.timeline.value > 0 ? static_cast<std::uint64_t>(pg.timeline.value)
                                                   : 0);
  m.gauge("patroni_dcs_last_seen", "Last successful read of the DCS, epoch seconds.",
          epoch_seconds(s.dcs_last_seen));
  m.gauge("patroni_pending_restart", "1 when PostgreSQL waits for a restart, else 0.",
          s.pending_restart);
  m.gauge("patroni_is_paused", "1 when the cluster is in maintenance mode, else 0.", s.paused);
  return m.take();
}

}  // namespace pghalo::api
