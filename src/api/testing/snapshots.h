// Test support: status snapshots that mirror the clusters Patroni 3.0.2 was recorded in
// (shared/spec/patroni-fixtures), built by hand for table-driven tests and, when the fixture
// files are present, built from them for field-by-field comparisons. Test-only; not thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "model/status.h"

namespace pghalo::api::testing {

// The healthy three-node cluster of the fixtures: node1 leads, node2 and node3 stream from it.
std::shared_ptr<model::ClusterState> healthy_cluster();

// healthy/rest/leader: node1 running as primary and holding the lock at `now`.
model::StatusSnapshot leader_snapshot(MonoTime now);
// healthy/rest/replica: node2 streaming from node1.
model::StatusSnapshot replica_snapshot(MonoTime now);

// A recorded node: its directory (".../<stage>/rest/<who>") and the stage's etcd dump.
struct FixtureNode {
  std::string stage;  // "healthy", "after-failover", ...
  std::string who;    // "leader" or "replica"
  std::filesystem::path rest_dir;
  std::filesystem::path get_prefix;  // etcd-get-prefix.txt of the stage
};

// Names the node in test output ("healthy/leader").
inline void PrintTo(const FixtureNode& node, std::ostream* out) { *out << node.stage << "/" << node.who; }

// Every recorded node, or empty when the fixtures are not on this machine.
std::vector<FixtureNode> fixture_nodes();
nlohmann::ordered_json read_json(const std::filesystem::path& file);
std::string read_text(const std::filesystem::path& file);

// The snapshot the agent would publish on that node: the cluster decoded from the etcd dump by
// the real codec, PostgreSQL facts from the recorded /patroni body.
model::StatusSnapshot fixture_snapshot(const FixtureNode& node, MonoTime now);

}  // namespace pghalo::api::testing
