// MiniCluster: N real agents (the production Agent and ha::decide) over one FakeKv, FakePostgres
// servers and a manual clock, driven step by step from one thread. The deterministic ground for
// agent scenario tests; the simulator (tests/sim) adds faults, a network and a workload on top.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "dcs/etcd/etcd_store.h"
#include "fake_kv.h"
#include "fake_peers.h"
#include "fake_postgres.h"
#include "inline_job_runner.h"

namespace pghalo::fakes {

struct MiniClusterOptions {
  int nodes = 3;
  int ttl = 30, loop_wait = 10, retry_timeout = 10;
  std::string extra_yaml;  // appended to every node's YAML
};

class MiniCluster {
 public:
  struct Node {
    std::string name;
    config::Config config;
    std::unique_ptr<dcs::etcd::EtcdStore> store;
    std::unique_ptr<FakePostgres> pg;
    std::unique_ptr<InlineJobRunner> jobs;
    std::unique_ptr<RecordingFencer> fencer;
    std::unique_ptr<agent::Agent> agent;  // null while the agent process is dead
  };

  explicit MiniCluster(MiniClusterOptions options = {});

  ManualClock clock;
  FakeKv kv{clock};
  FakePgWorld world;
  FakePeerClient peers;
  std::vector<std::unique_ptr<Node>> nodes;

  Node& node(const std::string& name);
  FakeServer& server(const std::string& name) { return *world.find(name); }

  void start_agent(const std::string& name);  // a fresh agent process (no memory)
  void kill_agent(const std::string& name);   // SIGKILL of the agent only
  void kill_node(const std::string& name);    // SIGKILL of the agent and the postmaster
  void stop_agent(const std::string& name);   // SIGTERM: the shutdown sequence, then gone

  // Runs every due agent cycle, streams WAL, fires passed fences, then advances the clock.
  void step(Duration dt = std::chrono::milliseconds(100));
  bool run_until(const std::function<bool()>& done, Duration limit);

  std::optional<std::string> leader();  // the leader key's value in etcd
  std::vector<std::string> running_primaries();
  std::vector<std::string> streaming_replicas();

 private:
  std::string member_api_url_of(const Node& n) const;
  MiniClusterOptions options_;
};

}  // namespace pghalo::fakes
