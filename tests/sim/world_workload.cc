// World: the client workload (uniquely numbered rows written straight to every node that runs
// as a primary, as clients that connect directly would) and WAL streaming between servers.
#include <set>

#include "common/strings.h"
#include "world.h"

namespace pghalo::sim {

void World::client_writes() {
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!writable(n)) continue;
    std::string id = "w" + std::to_string(++write_seq_);
    // Mostly small rows, sometimes large ones, so that a stalled replica falls more than
    // maximum_lag_on_failover behind.
    std::uint64_t bytes = random_.chance(0.1) ? random_.uniform(64 * 1024, 512 * 1024) : random_.uniform(100, 8192);
    auto lsn = pg_world_.write(n.name, id, bytes);
    if (!lsn) {
      if (fakes::FakePgWorld::sync_count(n.pg->server()) > 0) probe("commit_waited_for_sync_standby");
      continue;
    }
    acks_.push_back(Ack{id, n.index, time_.now, n.pg->server().timeline});
    check_sync_ack(n, id, *lsn);
  }
}

void World::check_sync_ack(const Node& n, const std::string& id, std::uint64_t lsn) {
  if (dynamic_config().value("synchronous_mode", false) != true) {
    // Turned off: from now on a failover may choose any replica (Patroni's guarantee too).
    sync_acks_.clear();
    return;
  }
  // The guarantee starts once this primary owns /sync: before that (bootstrap, the mode just
  // turned on while its agent cannot read etcd) it still acknowledges commits asynchronously.
  auto sync = etcd_->kv().get("/db/postgres/sync");
  if (!sync) return;
  auto json = nlohmann::json::parse(sync->value, nullptr, false);
  if (!json.is_object() || !json.contains("leader") || json["leader"] != n.name) return;
  sync_acks_.push_back(SyncAck{id, n.index, time_.now});
  // The standbys /sync lists for this primary must have every commit it acknowledges: that is
  // what lets one of them take over without losing it.
  const fakes::FakeServer& p = n.pg->server();
  std::string listed = json.contains("sync_standby") && json["sync_standby"].is_string()
                           ? json["sync_standby"].get<std::string>() : "";
  for (const auto& name : split(listed, ',')) {
    const fakes::FakeServer* s = pg_world_.find(name);
    probe("sync_ack_checked_against_standby");
    if (!s || s->timeline != p.timeline || s->lsn < lsn) {
      violate("sync_ack_reached_standby",
              n.name + " acknowledged " + id + " but " + name + ", listed in /sync, has not received it");
    }
  }
}

void World::replicate() {
  for (auto& np : nodes_) (void)pg_world_.replicate_server(np->pg->server());
}

void World::count_lost_writes() {
  auto writers = writable_nodes();
  auto leader = leader_key();
  if (writers.size() != 1 || !leader || node(writers[0]).name != *leader) return;
  std::set<std::string> kept;
  for (const auto& [lsn, payload] : node(writers[0]).pg->server().rows) kept.insert(payload);
  long lost = 0;
  for (const auto& a : acks_) lost += kept.count(a.id) ? 0 : 1;
  result_.probes["acknowledged_writes"] += static_cast<long>(acks_.size());
  if (lost > 0) {
    result_.probes["acknowledged_writes_lost_async"] += lost;
    result_.probes["runs_with_async_write_loss"]++;
  }
}

}  // namespace pghalo::sim
