// World: drawing the cluster's shape from the seed, building nodes, starting agent processes,
// and the answers that depend on the network (job timings, peers, PostgreSQL reachability).
#include "common/log.h"
#include "world.h"

namespace pghalo::sim {
namespace {

std::uint64_t pick(Random& r, std::uint64_t lo, std::uint64_t hi) { return r.uniform(lo, hi); }

Ms between(Random& r, Ms lo, Ms hi) {
  return static_cast<Ms>(r.uniform(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)));
}

}  // namespace

void World::draw_shape() {
  Random& r = random_;
  static constexpr int kSizes[] = {2, 3, 3, 3, 3, 4, 5};
  shape_.nodes = kSizes[pick(r, 0, std::size(kSizes) - 1)];
  // Timing sets that keep loop_wait + 2 * retry_timeout <= ttl (spec 2.1).
  static constexpr int kTimings[][3] = {{30, 10, 10}, {30, 10, 10}, {30, 5, 10}, {20, 5, 5}, {25, 3, 10}};
  const auto& t = kTimings[pick(r, 0, std::size(kTimings) - 1)];
  shape_.ttl = t[0];
  shape_.loop_wait = t[1];
  shape_.retry_timeout = t[2];
  if (r.chance(0.25)) shape_.nofailover = static_cast<int>(pick(r, 0, static_cast<std::uint64_t>(shape_.nodes - 1)));
  if (r.chance(0.25)) shape_.clonefrom = static_cast<int>(pick(r, 0, static_cast<std::uint64_t>(shape_.nodes - 1)));
  if (r.chance(0.2)) shape_.no_bootstrap = static_cast<int>(pick(r, 0, static_cast<std::uint64_t>(shape_.nodes - 1)));
  // Some member must be able to bootstrap: a nofailover member does not, nor one without a
  // bootstrap section; with two members those can be both (seeds 1561, 1675, 2251: the cluster
  // never existed, and the run failed at the heal).
  if (shape_.nodes == 2 && shape_.nofailover >= 0 && shape_.no_bootstrap >= 0 &&
      shape_.nofailover != shape_.no_bootstrap) {
    shape_.no_bootstrap = -1;
  }
  shape_.chaos = between(r, 180, 420) * kSecond;
  shape_.fault_rate = static_cast<int>(between(r, 6, 30) * kSecond);
  // Synchronous and failsafe mode come from a second stream, so the draws above (and thus the
  // seeds that found the earlier bugs) stay what they were.
  SeededRandom modes(options_.seed ^ 0x5eed5eed5eed5eedULL);
  if (modes.chance(0.35)) {
    shape_.synchronous = modes.chance(0.4) ? 2 : 1;
    if (shape_.nodes >= 4 && modes.chance(0.3)) shape_.sync_node_count = 2;
    if (shape_.nodes >= 3 && modes.chance(0.25)) {
      shape_.nosync = static_cast<int>(pick(modes, 0, static_cast<std::uint64_t>(shape_.nodes - 1)));
    }
  }
  shape_.failsafe = modes.chance(0.3);
}

std::string World::node_yaml(int i) const {
  std::string n = std::to_string(i + 1);
  std::string yaml = "scope: postgres\nnamespace: /db/\nname: node" + n + "\n";
  yaml += "restapi:\n  listen: 127.0.0.1:800" + n + "\n  connect_address: 127.0.0.1:800" + n + "\n";
  yaml += "etcd3:\n  hosts: 127.0.0.1:2379\n";
  if (i != shape_.no_bootstrap) {
    yaml += "bootstrap:\n  dcs:\n    ttl: " + std::to_string(shape_.ttl) +
            "\n    loop_wait: " + std::to_string(shape_.loop_wait) +
            "\n    retry_timeout: " + std::to_string(shape_.retry_timeout) +
            "\n    maximum_lag_on_failover: 1048576\n";
    if (shape_.synchronous > 0) {
      yaml += "    synchronous_mode: true\n    synchronous_node_count: " + std::to_string(shape_.sync_node_count) + "\n";
      if (shape_.synchronous == 2) yaml += "    synchronous_mode_strict: true\n";
    }
    if (shape_.failsafe) yaml += "    failsafe_mode: true\n";
    yaml +=
            "    postgresql:\n      use_pg_rewind: true\n      use_slots: true\n"
            "  initdb:\n    - encoding: UTF8\n    - data-checksums\n"
            "  users:\n    replicator:\n      password: rep\n      options: [replication]\n";
  }
  yaml += "postgresql:\n  listen: 127.0.0.1:543" + n + "\n  connect_address: 127.0.0.1:543" + n +
          "\n  data_dir: /nonexistent/pghalo-sim/node" + n +
          "\n  bin_dir: /usr/lib/postgresql/15/bin\n  pg_ctl_timeout: 60\n  use_pg_rewind: true\n"
          "  authentication:\n    superuser:\n      username: postgres\n"
          "    replication:\n      username: replicator\n      password: rep\n";
  if (i == shape_.nofailover || i == shape_.clonefrom || i == shape_.nosync) {
    yaml += "tags:\n";
    if (i == shape_.nofailover) yaml += "  nofailover: true\n";
    if (i == shape_.clonefrom) yaml += "  clonefrom: true\n";
    if (i == shape_.nosync) yaml += "  nosync: true\n";
  }
  return yaml;
}

void World::build_node(int i) {
  Ms origin = between(random_, 1, 1000000) * kSecond;
  auto node = std::make_unique<Node>(time_, origin, random_.next_u64());
  Node& n = *node;
  n.index = i;
  n.name = "node" + std::to_string(i + 1);
  n.host = "127.0.0.1";
  n.pg_port = 5430 + i + 1;
  n.api_url = "http://127.0.0.1:800" + std::to_string(i + 1) + "/patroni";
  auto loaded = config::parse_local_config(node_yaml(i), n.name + ".yml");
  if (!loaded.config) {
    for (const auto& d : loaded.diagnostics) note("world", "config: " + d.to_string());
    std::abort();
  }
  n.config = *loaded.config;
  pg_world_.add(n.name, n.host + ":" + std::to_string(n.pg_port));
  n.kv = std::make_unique<NodeKv>(*this, *etcd_, n.link, n.name);
  n.watch_kv = std::make_unique<NodeKv>(*this, *etcd_, n.link, n.name, /*timeless=*/true);
  n.thread = std::make_unique<AgentThread>(turns_, i);
  n.pg = std::make_unique<SimPostgres>(*this, pg_world_, n.name, [this, i](const std::string& host, int port) {
    return pg_reachable(i, host, port);
  });
  n.peers = std::make_unique<SimPeerClient>(
      *this, [this, i](const std::string& api_url) { return peer_answer(i, api_url); },
      [this, i](const std::string& api_url, const nlohmann::json& body) {
        return deliver_failsafe(i, api_url, body);
      });
  nodes_.push_back(std::move(node));
}

void World::start_agent(Node& n) {
  auto p = std::make_unique<Process>();
  dcs::StoreTiming timing{std::chrono::seconds(shape_.ttl), std::chrono::seconds(shape_.retry_timeout)};
  p->store = std::make_unique<dcs::etcd::EtcdStore>(*n.kv, n.clock, n.config.namespace_, n.config.scope, timing);
  p->jobs = std::make_unique<SimJobRunner>(
      *this, n.clock, *n.pg, [this, &n](ha::JobKind kind) { return plan_job(n, kind); },
      [this, &n](const ha::JobOutcome& outcome) {
        if (!outcome.succeeded && outcome.kind == ha::JobKind::kBootstrap) {
          // The bootstrap job renames a failed data directory aside (outside the fake's view).
          n.pg->server().data_valid = false;
          probe("bootstrap_failed_data_directory_set_aside");
        }
        wake(n);
      });
  p->fencer = std::make_unique<SimFencer>([&n] { return n.clock.now(); },
                                         [this, &n] { stop_writes(n, "a new fence replaced an overdue one"); },
                                         n.fence_file);
  agent::AgentDeps deps;
  deps.clock = &n.clock;
  deps.store = p->store.get();
  deps.probe = n.pg.get();
  deps.postgres = n.pg.get();
  deps.peers = n.peers.get();
  deps.jobs = p->jobs.get();
  deps.fencer = p->fencer.get();
  SimPostgres* pg = n.pg.get();
  deps.read_timeline_history = [pg](std::int64_t) { return fakes::timeline_history_text(pg->server()); };
  {
    log::ScopedContext context(n.name);
    p->agent = std::make_unique<agent::Agent>(n.config, deps);
  }
  const unsigned wake_on = dcs::etcd::kLeaderChanged | dcs::etcd::kLeaderDeleted |
                           dcs::etcd::kConfigChanged | dcs::etcd::kFailoverChanged |
                           dcs::etcd::kSyncChanged;
  p->watcher = std::make_unique<dcs::etcd::Watcher>(
      *n.watch_kv, p->store->layout(), n.watch_random, [this, &n, wake_on](unsigned changes) {
        if (changes & wake_on) wake(n);
      });
  n.proc = std::move(p);
  n.restart_at.reset();
  n.wake_at.reset();
  n.seen_leader.reset();
  n.wrong_upstream_since.reset();
  note(n.name, "agent process started");
}

JobTiming World::plan_job(Node& n, ha::JobKind kind) {
  Random& r = random_;
  JobTiming t;
  bool faults = phase_ == Phase::kChaos || (phase_ == Phase::kSettle && r.chance(0.3));
  auto fail = [&](double p) { return faults && r.chance(p); };
  Ms pg_ctl_gives_up = 0;  // a start that outlives pg_ctl: the job ends when pg_ctl gives up
  switch (kind) {
    case ha::JobKind::kBootstrap:
      t.duration = between(r, 2000, 10000);
      t.plan.fail_initdb = fail(0.04);
      t.plan.fail_start = fail(0.04);
      break;
    case ha::JobKind::kClone:
    case ha::JobKind::kReinitialize:
      t.duration = between(r, 3000, 30000);
      t.plan.fail_basebackup = fail(0.15);
      t.plan.fail_start = fail(0.03);
      break;
    case ha::JobKind::kStart:
    case ha::JobKind::kRejoin: {
      t.duration = between(r, 500, 6000);
      t.plan.fail_start = fail(0.08);
      t.plan.fail_rewind = fail(0.15);
      if (fail(0.08)) {
        // pg_ctl gives up after pg_ctl_timeout while the server keeps starting.
        pg_ctl_gives_up = n.config.postgresql.pg_ctl_timeout * kSecond;
        t.plan.slow_start = between(r, 1000, 90000);
      }
      break;
    }
    case ha::JobKind::kPromote:
      t.duration = between(r, 200, 3000);
      t.plan.fail_promote = fail(0.1);
      break;
    case ha::JobKind::kStop:
      t.duration = between(r, 100, 4000);
      break;
    case ha::JobKind::kFollow:
      t.duration = between(r, 50, 1000);
      break;
    default:
      t.duration = between(r, 500, 8000);
      t.plan.fail_start = fail(0.05);
      break;
  }
  if (n.pg->slow_disk()) t.duration *= static_cast<Ms>(pick(r, 3, 10));
  // A slow disk slows the work before the start (pg_rewind), not pg_ctl's own timeout: the job
  // lasted up to ten times pg_ctl_timeout (480 s in seed 8864), longer than any recovery bound.
  t.duration = std::max(t.duration, pg_ctl_gives_up);
  return t;
}

bool World::peer_cut(int from, int to) const {
  return cut_[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)] != 0;
}

void World::set_peer_cut(int from, int to, bool cut) {
  cut_[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)] = cut ? 1 : 0;
}

PeerAnswer World::peer_answer(int from, const std::string& api_url) {
  PeerAnswer a;
  for (const auto& np : nodes_) {
    Node& to = *np;
    if (to.api_url != api_url) continue;
    bool path = !peer_cut(from, to.index) && !peer_cut(to.index, from);
    if (!path || to.host_down || to.frozen_until) {
      a.silent = true;
      return a;
    }
    if (!to.proc) return a;  // connection refused: the agent process is not running
    a.answers = true;
    a.delay = between(random_, 1, 30);
    // The REST threads answer from the last snapshot even while the loop is stalled.
    a.snapshot = to.proc->agent->snapshot();
    return a;
  }
  a.silent = true;
  return a;
}

bool World::deliver_failsafe(int from, const std::string& api_url, const nlohmann::json& body) {
  for (auto& np : nodes_) {
    Node& to = *np;
    if (to.api_url != api_url || !to.proc) continue;
    // The REST thread answers from the configuration the agent last read (etcd's /config here,
    // which every agent follows within a cycle).
    if (dynamic_config().value("failsafe_mode", false) != true) return false;
    model::Command command;
    command.body = model::FailsafeHeartbeatCommand{body};
    if (!to.proc->agent->post(std::move(command))) return false;
    probe("failsafe_post_accepted");
    (void)from;
    return true;
  }
  return false;
}

const nlohmann::json& World::dynamic_config() {
  auto kv = etcd_->kv().get("/db/postgres/config");
  model::Revision revision = kv ? kv->mod_revision : model::Revision(0);
  if (revision != config_revision_ || !kv) {
    config_json_ = kv ? nlohmann::json::parse(kv->value, nullptr, false) : nlohmann::json::object();
    if (!config_json_.is_object()) config_json_ = nlohmann::json::object();
    config_revision_ = revision;
  }
  return config_json_;
}

int World::node_by_address(const std::string& host, int port) const {
  for (const auto& n : nodes_) {
    if (n->host == host && n->pg_port == port) return n->index;
  }
  return -1;
}

bool World::pg_reachable(int from, const std::string& host, int port) const {
  int to = node_by_address(host, port);
  if (to < 0) return false;
  const Node& t = *nodes_[static_cast<std::size_t>(to)];
  return !peer_cut(from, to) && !peer_cut(to, from) && !t.frozen_until && !t.host_down;
}

}  // namespace pghalo::sim
