// World: the client workload (uniquely numbered rows written straight to every node that runs
// as a primary, as clients that connect directly would) and WAL streaming between servers.
#include <set>

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
    if (!lsn) continue;
    acks_.push_back(Ack{id, n.index, time_.now, n.pg->server().timeline});
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
