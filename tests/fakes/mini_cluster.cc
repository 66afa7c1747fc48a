#include "mini_cluster.h"

#include "common/log.h"

namespace pghalo::fakes {
namespace {

std::string node_yaml(int i, const MiniClusterOptions& o) {
  std::string n = std::to_string(i);
  std::string yaml =
      "scope: postgres\n"
      "namespace: /db/\n"
      "name: node" +
      n +
      "\n"
      "restapi:\n"
      "  listen: 127.0.0.1:800" +
      n +
      "\n"
      "  connect_address: 127.0.0.1:800" +
      n +
      "\n"
      "etcd3:\n"
      "  hosts: 127.0.0.1:2379\n"
      "bootstrap:\n"
      "  dcs:\n"
      "    ttl: " +
      std::to_string(o.ttl) +
      "\n"
      "    loop_wait: " +
      std::to_string(o.loop_wait) +
      "\n"
      "    retry_timeout: " +
      std::to_string(o.retry_timeout) +
      "\n"
      "    maximum_lag_on_failover: 1048576\n"
      "    postgresql:\n"
      "      use_pg_rewind: true\n"
      "      use_slots: true\n"
      "  initdb:\n"
      "    - encoding: UTF8\n"
      "    - data-checksums\n"
      "  users:\n"
      "    replicator:\n"
      "      password: rep\n"
      "      options: [replication]\n"
      "postgresql:\n"
      "  listen: 127.0.0.1:543" +
      n +
      "\n"
      "  connect_address: 127.0.0.1:543" +
      n +
      "\n"
      "  data_dir: /nonexistent/pghalo-fake/node" +
      n +
      "\n"
      "  bin_dir: /usr/lib/postgresql/15/bin\n"
      "  authentication:\n"
      "    superuser:\n"
      "      username: postgres\n"
      "    replication:\n"
      "      username: replicator\n"
      "      password: rep\n";
  return yaml + o.extra_yaml;
}

}  // namespace

MiniCluster::MiniCluster(MiniClusterOptions options) : options_(std::move(options)) {
  for (int i = 1; i <= options_.nodes; ++i) {
    auto node = std::make_unique<Node>();
    node->name = "node" + std::to_string(i);
    auto loaded = config::parse_local_config(node_yaml(i, options_), node->name + ".yml");
    for (const auto& d : loaded.diagnostics) {
      if (d.severity == config::Diagnostic::Severity::kError)
        log::error("mini_cluster", d.to_string());
    }
    node->config = *loaded.config;
    world.add(node->name, "127.0.0.1:543" + std::to_string(i));
    node->pg = std::make_unique<FakePostgres>(world, node->name);
    std::string api = "http://127.0.0.1:800" + std::to_string(i) + "/patroni";
    Node* raw = node.get();
    peers.add(api, [raw]() -> std::shared_ptr<const model::StatusSnapshot> {
      return raw->agent ? raw->agent->snapshot() : nullptr;
    });
    nodes.push_back(std::move(node));
  }
  peers.on_failsafe([this](const std::string& api_url, const nlohmann::json& body) {
    for (auto& n : nodes) {
      if (!n->agent || member_api_url_of(*n) != api_url) continue;
      model::Command command;
      command.body = model::FailsafeHeartbeatCommand{body};
      n->agent->post(std::move(command));
    }
  });
  for (auto& n : nodes) start_agent(n->name);
}

std::string MiniCluster::member_api_url_of(const Node& n) const {
  return "http://" + n.config.restapi.connect_address + "/patroni";
}

MiniCluster::Node& MiniCluster::node(const std::string& name) {
  for (auto& n : nodes) {
    if (n->name == name) return *n;
  }
  std::abort();
}

void MiniCluster::start_agent(const std::string& name) {
  Node& n = node(name);
  n.store = std::make_unique<dcs::etcd::EtcdStore>(kv, clock, n.config.namespace_, n.config.scope);
  n.jobs = std::make_unique<InlineJobRunner>();
  // The fence file outlives the agent process (a host crash is not modelled here).
  std::optional<ha::Fence> left;
  if (n.fencer && n.fencer->recorded().armed) left = n.fencer->recorded();
  n.fencer = std::make_unique<RecordingFencer>();
  n.fencer->set_inherited(left);
  agent::AgentDeps deps;
  deps.clock = &clock;
  deps.store = n.store.get();
  deps.probe = n.pg.get();
  deps.postgres = n.pg.get();
  deps.peers = &peers;
  deps.jobs = n.jobs.get();
  deps.fencer = n.fencer.get();
  FakePostgres* pg = n.pg.get();
  deps.read_timeline_history = [pg](std::int64_t) { return timeline_history_text(pg->server()); };
  n.agent = std::make_unique<agent::Agent>(n.config, deps);
}

void MiniCluster::kill_agent(const std::string& name) { node(name).agent.reset(); }

void MiniCluster::kill_node(const std::string& name) {
  kill_agent(name);
  (void)node(name).pg->signal_immediate_stop();
}

void MiniCluster::stop_agent(const std::string& name) {
  Node& n = node(name);
  if (n.agent) n.agent->shutdown();
  n.agent.reset();
}

void MiniCluster::step(Duration dt) {
  for (auto& n : nodes) {
    if (!n->agent) continue;
    log::ScopedContext context(n->name);
    if (clock.now() >= n->agent->next_wakeup() || n->jobs->take_wakeup()) n->agent->run_cycle();
  }
  world.replicate();
  for (auto& n : nodes) {
    if (!n->fencer || !n->fencer->fence().armed) continue;
    if (clock.now() >= n->fencer->fence().writable_until) {
      (void)n->pg->signal_immediate_stop();
      n->fencer->fired();
    }
  }
  clock.advance(dt);
  kv.expire_leases();
}

bool MiniCluster::run_until(const std::function<bool()>& done, Duration limit) {
  MonoTime until = clock.now() + limit;
  while (clock.now() < until) {
    if (done()) return true;
    step();
  }
  return done();
}

std::optional<std::string> MiniCluster::leader() {
  auto kv_leader = kv.get("/db/postgres/leader");
  if (!kv_leader) return std::nullopt;
  return kv_leader->value;
}

std::vector<std::string> MiniCluster::running_primaries() {
  std::vector<std::string> out;
  for (auto& n : nodes) {
    const FakeServer& s = server(n->name);
    if (s.running && !s.in_recovery) out.push_back(n->name);
  }
  return out;
}

std::vector<std::string> MiniCluster::streaming_replicas() {
  std::vector<std::string> out;
  auto lead = leader();
  for (auto& n : nodes) {
    const FakeServer& s = server(n->name);
    if (!lead || !s.running || !s.in_recovery || !s.upstream) continue;
    const FakeServer& l = server(*lead);
    if (*s.upstream == l.address && l.running && s.lsn == l.lsn) out.push_back(n->name);
  }
  return out;
}

}  // namespace pghalo::fakes
