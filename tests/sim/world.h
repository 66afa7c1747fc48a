// World: one deterministic simulation run. N real agents (agent::Agent with the production
// ha::decide, EtcdStore and Watcher) run on one thread over a simulated etcd (sim_etcd.h), one
// simulated PostgreSQL per node (sim_postgres.h), a network of partitions and delays, a clock per
// node, a fault generator and a client workload, all driven by one seed: one seed is one run,
// bit for bit. Safety invariants are checked after every step (docs/simulation.md).
//
// A step is one virtual instant: due faults and heals, then background events (fences, job
// ends, PostgreSQL becoming ready, replication, client writes, lease expiry), then the agents
// whose blocked calls return now, the agent cycles that are due, then the watchers. Each agent
// runs on its own thread (sim_thread.h) but only one party runs at a time, so a call that waits
// for virtual time blocks only its own agent.
//
// Not thread-safe. Only one World may exist per thread at a time (it owns the log sink).
#pragma once

#include <cstdint>
#include <deque>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "dcs/etcd/etcd_store.h"
#include "dcs/etcd/watcher.h"
#include "fake_postgres.h"
#include "sim_etcd.h"
#include "sim_postgres.h"
#include "sim_process.h"
#include "sim_thread.h"

namespace pghalo::sim {

struct RunOptions {
  std::uint64_t seed = 1;
  long max_steps = 400000;  // a bound on top of the virtual-time bound of the run
  bool trace = false;       // write the readable trace to `out`
  std::ostream* out = nullptr;
};

struct Violation {
  std::string invariant;  // a stable name (docs/simulation.md)
  Ms at = 0;
  std::string detail;
};

struct RunResult {
  std::uint64_t seed = 0;
  std::vector<Violation> violations;
  std::map<std::string, long> probes;  // "reason:<name>", "log:<event>", and world probes
  long steps = 0;
  Ms virtual_end = 0;
  std::optional<Ms> converged_after_heal;  // from the final heal to exactly one primary
  int nodes = 0;
  bool ok() const { return violations.empty(); }
};

// The cluster's shape, drawn from the seed.
struct Shape {
  int nodes = 3;
  int ttl = 30, loop_wait = 10, retry_timeout = 10;
  int nofailover = -1;    // node index tagged nofailover, or -1
  int clonefrom = -1;     // node index tagged clonefrom
  int no_bootstrap = -1;  // node index without a bootstrap section
  // Drawn from a second stream of the seed, so that seeds without them replay as before.
  int synchronous = 0;    // 0: off, 1: synchronous_mode, 2: ... and synchronous_mode_strict
  int sync_node_count = 1;
  int nosync = -1;        // node index tagged nosync, or -1
  bool failsafe = false;  // failsafe_mode
  Ms chaos = 0;           // how long faults are injected
  int fault_rate = 0;     // mean milliseconds between faults
};

RunResult run_simulation(const RunOptions& options);

class World final : public SimEnv {
 public:
  explicit World(const RunOptions& options);
  ~World() override;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  RunResult run();

  // SimEnv
  Ms now() const override { return time_.now; }
  void advance(Ms duration) override;
  Random& random() override { return random_; }
  void at(Ms at, std::string label, std::function<void()> what) override;
  void probe(std::string_view name) override;
  void note(std::string_view who, std::string_view line) override;
  bool tracing() const override { return options_.trace; }

  // ---- the nodes -----------------------------------------------------------------------------
  struct Process {
    std::unique_ptr<dcs::etcd::EtcdStore> store;
    std::unique_ptr<SimJobRunner> jobs;
    std::unique_ptr<SimFencer> fencer;
    std::unique_ptr<agent::Agent> agent;
    std::unique_ptr<dcs::etcd::Watcher> watcher;
  };
  struct Node {
    Node(const VirtualTime& time, Ms origin, std::uint64_t watch_seed)
        : clock(time, origin), watch_random(watch_seed) {}
    int index = 0;
    std::string name, host, api_url;
    int pg_port = 0;
    config::Config config;
    NodeClock clock;
    EtcdLink link;
    std::unique_ptr<NodeKv> kv;
    std::unique_ptr<NodeKv> watch_kv;  // the watcher's link (driven by the world, timeless)
    std::unique_ptr<SimPostgres> pg;
    std::unique_ptr<SimPeerClient> peers;
    SeededRandom watch_random;
    std::unique_ptr<Process> proc;  // null while the agent process is not running
    std::unique_ptr<AgentThread> thread;
    std::optional<Ms> resume_at;         // a blocked call returns then
    bool kill_requested = false;         // unwind the blocked task (the process died)
    std::function<void()> after_task;    // runs on the world's thread when the task ends

    // Fault state.
    std::optional<Ms> restart_at;     // the agent process (re)starts then
    std::optional<Ms> frozen_until;   // the whole host is paused
    std::optional<Ms> stalled_until;  // the HA loop is blocked; fencer, jobs, REST go on
    bool host_down = false;           // crashed machine (no REST, no PostgreSQL)
    bool stopping = false;            // SIGTERM received; shuts down when no job runs
    Ms stop_downtime = 0;             // how long it stays down after a SIGTERM
    bool replication_stalled = false;
    bool loop_first_on_thaw = false;
    std::optional<Ms> wake_at;        // woken early (watch event, job end, command)
    ha::Fence fence_file;             // the fence the agent recorded; lost when the host crashes
    std::vector<std::pair<std::string, std::future<model::CommandReply>>> replies;

    // Invariant bookkeeping.
    std::optional<MonoTime> last_view_at;
    std::optional<std::string> seen_leader;
    Ms seen_leader_since = 0;
    std::optional<Ms> wrong_upstream_since;
    std::deque<Ms> recent_cycles;
    bool busy_reported = false;
    std::int64_t max_timeline = 0;  // highest timeline its data directory reached
    std::string timeline_sysid;     // ... of this system identifier
    ha::Reason last_reason = ha::Reason::kNoAction;  // of the agent's last finished cycle
    bool last_cycle_without_etcd = false;            // ... which could not read etcd
    bool writable = false;          // at the last check
  };

  // Scripted faults (also used by the generator and by regression scenarios).
  Node& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  EtcdCluster& etcd() { return *etcd_; }
  fakes::FakePgWorld& pg_world() { return pg_world_; }
  bool peer_cut(int from, int to) const;
  void set_peer_cut(int from, int to, bool cut);

  void kill_agent(Node& n, Ms downtime, bool job_survives);
  void kill_host(Node& n, Ms downtime);
  void sigterm_agent(Node& n, Ms downtime);
  void freeze_host(Node& n, Ms duration);
  void stall_loop(Node& n, Ms duration);
  void post_command(Node& n, model::CommandBody body, std::string what);
  void wake(Node& n);

  // State queries (the truth, not what agents believe).
  std::optional<std::string> leader_key();
  bool paused();
  bool writable(const Node& n) const;
  std::vector<int> writable_nodes() const;
  int node_by_address(const std::string& host, int port) const;

 private:
  struct Timed {
    std::string label;
    std::function<void()> what;
  };
  struct ActiveFault {
    Ms heal_at = 0;
    std::string label;
    std::function<void()> heal;
  };
  struct Ack {
    std::string id;
    int node = 0;
    Ms at = 0;
    std::int64_t timeline = 0;
  };
  // A write acknowledged while synchronous_mode was on (and it stayed on since): no failover may
  // lose it.
  struct SyncAck {
    std::string id;
    int node = 0;
    Ms at = 0;
  };
  struct Term {
    int node = -1;
    std::int64_t timeline = 0;
    Ms began = 0;
  };
  enum class Phase { kSettle, kChaos, kHealing };

  // Set-up (world_setup.cc).
  void draw_shape();
  void build_node(int i);
  std::string node_yaml(int i) const;
  void start_agent(Node& n);
  JobTiming plan_job(Node& n, ha::JobKind kind);
  PeerAnswer peer_answer(int from, const std::string& api_url);
  bool pg_reachable(int from, const std::string& host, int port) const;
  bool deliver_failsafe(int from, const std::string& api_url, const nlohmann::json& body);
  const nlohmann::json& dynamic_config();

  // The scheduler (world.cc).
  Ms next_background() const;
  Ms next_event() const;
  void run_background();
  void run_instant();
  void run_cycle(Node& n);
  void after_cycle(Node& n);
  void start_task(Node& n, std::function<void()> task, std::function<void()> after);
  void resume_task(Node& n);
  void task_ended(Node& n);
  void unwind_task(Node& n);
  std::optional<Ms> resume_due(const Node& n) const;
  void run_watchers();
  void run_timed();
  void fire_fences();
  void stop_writes(Node& n, const std::string& why);
  void finish_jobs();
  void process_faults();
  void advance_phase();
  bool agent_runnable(const Node& n) const;
  std::optional<Ms> cycle_due(const Node& n) const;
  // `job_survives`: whether the running job's child outlives the process (nullopt: a coin toss).
  void end_process(Node& n, std::optional<Ms> restart_after, std::optional<bool> job_survives = std::nullopt);
  void thaw(Node& n);
  // How long an agent stopped by SIGTERM stays down (sigterm_agent's draw, or less).
  Ms downtime_after_shutdown(Node& n);

  // Workload and replication (world_workload.cc).
  void client_writes();
  void replicate();
  void count_lost_writes();
  void check_sync_ack(const Node& n, const std::string& id, std::uint64_t lsn);

  // Faults (world_faults.cc).
  void inject_fault();
  void heal_everything();
  void resume_directly(const std::string& why);
  void add_fault(Ms duration, std::string label, std::function<void()> heal);
  void fault_etcd_link(Node& n);
  void fault_peer_link();
  void fault_isolate(Node& n);
  void fault_etcd_members();
  void fault_process(Node& n);
  void fault_postgres(Node& n);
  void fault_clock(Node& n);
  void fault_disk(Node& n);
  bool another_candidate_has_data(const Node& n) const;
  void fault_operator();
  void operator_switchover(bool failover);
  void operator_direct_failover_key();
  void operator_config(const nlohmann::json& patch, const std::string& what);

  // Invariants (world_invariants.cc).
  void check_invariants();
  void check_single_primary(const std::vector<int>& writers);
  void check_holds_lease(const std::vector<int>& writers);
  void check_timelines(const std::vector<int>& writers);
  void check_followers();
  void check_busy(Node& n);
  void check_sync_durability(const Node& primary);
  void check_convergence(const std::vector<int>& writers);
  std::optional<std::string> no_member_may_lead();
  bool converged(const std::vector<int>& writers);
  bool fully_healthy();
  void violate(const std::string& invariant, const std::string& detail);

  // Trace (world.cc).
  void install_log_sink();
  std::string stamp() const;

  RunOptions options_;
  SeededRandom random_;
  VirtualTime time_;
  Shape shape_;
  std::unique_ptr<EtcdCluster> etcd_;
  fakes::FakePgWorld pg_world_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::vector<char>> cut_;  // [from][to]: packets from -> to are dropped
  // A job whose agent died, still running (its child may outlive the agent). The dead process's
  // fencer stays with it: the job's body holds it (agent::fenced_job), and it never fires again.
  struct Orphan {
    std::unique_ptr<SimJobRunner> jobs;
    std::unique_ptr<SimFencer> fencer;
    const Node* node = nullptr;  // whose host it runs on: a host crash ends it
  };
  std::vector<Orphan> orphans_;

  std::multimap<std::pair<Ms, long>, Timed> timed_;
  long timed_seq_ = 0;
  std::vector<ActiveFault> faults_;

  Phase phase_ = Phase::kSettle;
  Ms phase_since_ = 0;
  Ms end_at_ = 0;
  Ms next_fault_at_ = 0;
  Ms next_write_at_ = 0;
  Ms next_replication_at_ = 0;
  Ms next_compaction_at_ = 0;
  Ms heal_bound_ = 0;
  std::optional<Ms> converged_at_;
  bool heal_exempt_ = false;  // no primary after the heal, by design (docs/simulation.md)
  long write_seq_ = 0;
  std::vector<Ack> acks_;
  std::vector<SyncAck> sync_acks_;
  model::Revision config_revision_;
  nlohmann::json config_json_ = nlohmann::json::object();
  std::optional<Term> last_term_;
  std::string last_check_line_;
  model::Revision paused_revision_;
  bool paused_ = false;
  Turns turns_;

  RunResult result_;
};

}  // namespace pghalo::sim
