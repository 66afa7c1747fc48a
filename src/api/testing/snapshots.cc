#include "api/testing/snapshots.h"

#include <fstream>
#include <sstream>

#include "dcs/codec.h"

namespace pghalo::api::testing {
namespace {

using model::Lsn;
using model::MemberName;
using model::TimelineId;

model::Member member(const std::string& name, int api_port, int pg_port, const std::string& role,
                     std::uint64_t xlog, std::int64_t timeline) {
  nlohmann::json raw = {{"conn_url", "postgres://127.0.0.1:" + std::to_string(pg_port) + "/postgres"},
                        {"api_url", "http://127.0.0.1:" + std::to_string(api_port) + "/patroni"},
                        {"state", "running"},
                        {"role", role},
                        {"version", "3.0.2"},
                        {"xlog_location", xlog},
                        {"timeline", timeline}};
  auto decoded = dcs::decode_member(MemberName(name), raw.dump());
  return decoded.value();
}

// PostgreSQL prints "+00" where Python's str(datetime) prints "+00:00".
std::string pg_text(const std::string& python_text) {
  if (python_text.size() > 6 && python_text.compare(python_text.size() - 6, 6, "+00:00") == 0) {
    return python_text.substr(0, python_text.size() - 3);
  }
  return python_text;
}

model::ReplicationConnection replication_row(const std::string& application_name) {
  model::ReplicationConnection row;
  row.usename = "replicator";
  row.application_name = application_name;
  row.client_addr = "127.0.0.1";
  row.state = "streaming";
  row.sync_state = "async";
  return row;
}

// What every node of the healthy cluster shares; `node` is one of node1..node3.
model::StatusSnapshot common_snapshot(MonoTime now, const std::string& node = "node1") {
  model::StatusSnapshot s;
  s.name = node;
  s.api_url = "http://127.0.0.1:" + std::to_string(8007 + (node.back() - '0')) + "/patroni";
  s.cluster = healthy_cluster();
  s.scope = "pglab";
  s.state = model::PgState::kRunning;
  s.system_identifier = "7712584199298505757";
  s.cluster_view_at = now;
  s.dcs_last_seen = WallTime(std::chrono::seconds(1795725955));
  s.next_cycle_at = now + std::chrono::seconds(10);
  s.pg.data_dir = model::DataDirState::kValid;
  s.pg.postmaster_pid = 4242;
  s.pg.accepting_connections = true;
  s.pg.server_version = 150018;
  s.pg.timeline = TimelineId(1);
  return s;
}

}  // namespace

std::shared_ptr<model::ClusterState> healthy_cluster() {
  auto c = std::make_shared<model::ClusterState>();
  c->revision = model::Revision(23);
  c->initialize = "7712584199298505757";
  c->leader = model::LeaderKey{MemberName("node1"), model::LeaseId(1), model::Revision(12),
                               model::Revision(12)};
  c->members[MemberName("node1")] = member("node1", 8008, 5432, "master", 67273264, 1);
  c->members[MemberName("node2")] = member("node2", 8009, 5433, "replica", 67273264, 1);
  c->members[MemberName("node3")] = member("node3", 8010, 5434, "replica", 67273264, 1);
  c->config = nlohmann::json{{"ttl", 30}, {"loop_wait", 10}, {"retry_timeout", 10},
                             {"maximum_lag_on_failover", 1048576}};
  c->status.optime = Lsn(67273264);
  return c;
}

model::StatusSnapshot leader_snapshot(MonoTime now) {
  model::StatusSnapshot s = common_snapshot(now, "node1");
  s.role = model::Role::kPrimary;
  s.lock_valid_until = now + std::chrono::seconds(30);
  s.pg.in_recovery = false;
  s.pg.wal_position = Lsn(67273320);
  s.pg.postmaster_start_time = "2026-11-26 20:45:44.828388+00";
  s.pg.replication = {replication_row("node2"), replication_row("node3")};
  return s;
}

model::StatusSnapshot replica_snapshot(MonoTime now) {
  model::StatusSnapshot s = common_snapshot(now, "node2");
  s.role = model::Role::kReplica;
  s.pg.in_recovery = true;
  s.pg.received_lsn = Lsn(67273320);
  s.pg.replayed_lsn = Lsn(67273320);
  s.pg.replayed_timestamp = "2026-11-26 20:45:48.411427+00";
  s.pg.postmaster_start_time = "2026-11-26 20:45:47.282598+00";
  return s;
}

std::vector<FixtureNode> fixture_nodes() {
  std::vector<FixtureNode> out;
  std::filesystem::path root = PGHALO_FIXTURES_DIR;
  if (!std::filesystem::exists(root)) return out;
  for (const auto& stage : std::filesystem::directory_iterator(root)) {
    for (const char* who : {"leader", "replica"}) {
      auto dir = stage.path() / "rest" / who;
      auto get_prefix = stage.path() / "etcd-get-prefix.txt";
      if (!std::filesystem::exists(dir / "patroni.json") || !std::filesystem::exists(get_prefix)) {
        continue;
      }
      out.push_back({stage.path().filename().string(), who, dir, get_prefix});
    }
  }
  return out;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::ordered_json read_json(const std::filesystem::path& file) {
  return nlohmann::ordered_json::parse(read_text(file));
}

model::StatusSnapshot fixture_snapshot(const FixtureNode& node, MonoTime now) {
  // etcd-get-prefix.txt holds "key\nvalue\n" pairs as etcdctl prints them.
  std::vector<dcs::RawKv> kvs;
  std::istringstream dump(read_text(node.get_prefix));
  std::string key, value;
  const std::string base = "/service/pglab/";
  while (std::getline(dump, key) && std::getline(dump, value)) {
    if (key.rfind(base, 0) == 0) kvs.push_back({key.substr(base.size()), value, {}, {}, {}});
  }
  auto cluster = std::make_shared<model::ClusterState>(dcs::decode_cluster(kvs, model::Revision(1)));

  auto body = read_json(node.rest_dir / "patroni.json")["body"];
  model::StatusSnapshot s = common_snapshot(now);
  s.name.clear();
  s.cluster = cluster;
  s.dcs_last_seen = WallTime(std::chrono::seconds(body["dcs_last_seen"].get<long long>()));
  s.pg.postmaster_start_time = pg_text(body["postmaster_start_time"].get<std::string>());
  s.pg.timeline = TimelineId(body["timeline"].get<std::int64_t>());
  const auto& xlog = body["xlog"];
  s.pg.in_recovery = !xlog.contains("location");
  if (s.pg.in_recovery) {
    s.role = model::Role::kReplica;
    s.pg.received_lsn = Lsn(xlog["received_location"].get<std::uint64_t>());
    s.pg.replayed_lsn = Lsn(xlog["replayed_location"].get<std::uint64_t>());
    s.pg.replayed_timestamp = pg_text(xlog["replayed_timestamp"].get<std::string>());
    s.pg.replay_paused = xlog["paused"].get<bool>();
  } else {
    s.role = model::Role::kPrimary;
    s.lock_valid_until = now + std::chrono::seconds(30);
    s.pg.wal_position = Lsn(xlog["location"].get<std::uint64_t>());
    for (const auto& row : body["replication"]) {
      s.pg.replication.push_back(replication_row(row["application_name"].get<std::string>()));
    }
  }
  // The member whose api_url the cluster lists with this node's WAL role is this node.
  for (const auto& [name, m] : cluster->members) {
    bool leader = cluster->is_leader(name);
    if (leader == !s.pg.in_recovery && (leader || s.name.empty())) {
      s.name = name.value;
      s.api_url = m.api_url;
    }
  }
  return s;
}

}  // namespace pghalo::api::testing
