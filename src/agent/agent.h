// Agent: the imperative shell around ha::decide (design.md section 1). One cycle observes (lease
// keepalive, one etcd read, one PostgreSQL probe), decides, acts (etcd writes inline, long
// PostgreSQL work on the job runner), arms the fence, publishes the member key and the REST
// snapshot. run_cycle()/next_wakeup() let both the real runner (runner.h) and the deterministic
// simulator drive it.
//
// Thread-safety: run_cycle(), reload() and shutdown() are called from one thread (the loop).
// post() and snapshot() may be called from any thread.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/fencer.h"
#include "agent/job_runner.h"
#include "agent/jobs.h"
#include "common/clock.h"
#include "config/config.h"
#include "dcs/cluster_store.h"
#include "ha/decision.h"
#include "model/command.h"
#include "model/status.h"
#include "peer/peer_client.h"
#include "pg/postgres.h"

namespace pghalo::agent {

// The Patroni version whose behaviour pghalo implements, published as `version` (spec 8.1).
inline constexpr const char* kPatroniVersion = "3.0.2";

struct AgentDeps {
  const Clock* clock = nullptr;
  dcs::ClusterStore* store = nullptr;
  pg::PostgresProbe* probe = nullptr;
  pg::PostgresControl* postgres = nullptr;
  peer::PeerClient* peers = nullptr;
  JobRunner* jobs = nullptr;
  Fencer* fencer = nullptr;
  // Reads <data_dir>/pg_wal/<timeline>.history files (for /history); empty string if absent.
  std::function<std::string(std::int64_t timeline)> read_timeline_history;
  // Re-reads the local configuration for POST /reload (nullopt: keep the current one).
  std::function<std::optional<config::Config>()> reload_local_config;
  // Told when /config brought new values (the etcd client's socket keepalive follows the timing).
  std::function<void(const config::DynamicConfig&)> on_dynamic_config;
};

class Agent {
 public:
  Agent(config::Config local, AgentDeps deps);

  // One observe -> decide -> act -> publish pass. Never throws; never blocks longer than the
  // etcd deadlines plus one PostgreSQL probe.
  void run_cycle();
  // When the next cycle is due (loop_wait after this one, or sooner when a decision asks).
  MonoTime next_wakeup() const { return next_wakeup_; }

  // Queues a command from the REST API; false when the queue is full. Thread-safe.
  bool post(model::Command command);
  bool has_pending_commands() const;
  std::shared_ptr<const model::StatusSnapshot> snapshot() const;

  // Between cycles: probe PostgreSQL again (no etcd, no decision) and republish the REST
  // snapshot, so health checks see a crash, a promotion or a new standby within a second rather
  // than a loop_wait later.
  void refresh_status();

  // SIGHUP: adopt a re-read local configuration.
  void reload(config::Config local);
  // SIGTERM: stop PostgreSQL (fast), then release the leader key so a replica takes over at once.
  void shutdown();

  // Set when a decision says the agent cannot go on (e.g. system identifier mismatch).
  const std::optional<std::string>& fatal() const { return fatal_; }
  const ha::Decision& last_decision() const { return last_decision_; }
  const ha::HaConfig& ha_config() const { return ha_config_; }

 private:
  // One cycle's observation plus what the shell needs beyond it.
  struct Observed {
    ha::Observation obs;
    bool lease_newly_granted = false;
  };

  // Re-arms the fence the previous agent process left (Fencer::inherited).
  void rearm_inherited_fence();
  // The fence to apply this cycle: the decision's, or the inherited one while it must hold.
  ha::Fence fence_for(const ha::Decision& decision, const ha::Observation& obs);
  Observed observe();
  void apply_dynamic_config(const model::ClusterState* cluster);
  // After /config or the local file changed: the new settings into the running server.
  bool refresh_config_files(const Observed& observed);  // true when written and reloaded
  void restore_config_key(const Observed& observed);
  void execute(const ha::Decision& decision, const Observed& observed);
  bool execute_dcs_action(const ha::Action& action, const Observed& observed);
  void execute_job(const ha::Action& action, const Observed& observed);
  void handle_commands();
  std::optional<model::CommandReply> run_command(model::Command& command);
  JobContext job_context(const model::PgObservation& pg);
  bool restart_conditions_met(const model::RestartCommand& c, const model::PgObservation& pg) const;
  bool start_restart(const model::PgObservation& pg);
  std::optional<model::CommandReply> run_restart(model::RestartCommand& c,
                                                 const std::shared_ptr<std::promise<model::CommandReply>>& reply);
  void run_due_restart(const ha::Observation& obs);
  void answer_finished_restart(const ha::Observation& obs);
  model::CommandReply run_cancel_restart();
  model::CommandReply run_reinitialize(const model::ReinitializeCommand& c);
  model::CommandReply run_switchover(const model::SwitchoverCommand& command);
  void fetch_peers(const std::vector<model::MemberName>& members, const Observed& observed);
  void post_failsafe(const std::vector<model::MemberName>& members, const Observed& observed);
  std::vector<peer::PeerTarget> peer_targets(const std::vector<model::MemberName>& members,
                                             const Observed& observed,
                                             std::vector<model::MemberName>* unknown) const;
  Status update_history(const Observed& observed);
  void publish_member(const Observed& observed);
  void publish_snapshot(const Observed& observed);
  void log_cycle(const ha::Decision& decision);

  config::Config local_;
  config::DynamicConfig dynamic_;
  std::optional<model::Revision> applied_config_revision_;
  std::optional<nlohmann::json> last_config_;  // the /config value last applied, for restore_config_key
  bool config_files_stale_ = false;  // settings changed since the files were last written
  ha::HaConfig ha_config_;
  AgentDeps deps_;

  ha::Memory memory_;
  ha::Decision last_decision_;
  MonoTime next_wakeup_{};
  bool won_initialize_ = false;
  std::optional<std::vector<model::PeerStatus>> peers_for_next_cycle_;
  std::optional<ha::Observation::FailsafeRound> failsafe_round_;  // our last POST /failsafe
  std::optional<model::MemberName> failsafe_leader_;                // who called us
  MonoTime failsafe_leader_until_{};
  std::optional<std::string> fatal_;
  std::string last_dcs_error_;
  std::string last_problems_;
  MonoTime lease_valid_until_{};
  // The fence the previous process left, until a decision of this one knows better (fence_for).
  std::optional<ha::Fence> inherited_fence_;
  int major_version_ = 15;
  // synchronous_standby_names as the current decision wants it (nullopt: leave it unmanaged).
  std::optional<std::string> synchronous_standby_names_;
  bool sync_names_applied_ = false;  // this cycle's SetSynchronousStandbyNames succeeded
  std::optional<model::RestartCommand> scheduled_restart_;
  nlohmann::json scheduled_restart_json_ = nullptr;  // published in the member key
  std::shared_ptr<std::promise<model::CommandReply>> restart_reply_;
  std::string last_member_json_;
  std::shared_ptr<const model::ClusterState> last_cluster_;
  std::optional<MonoTime> last_cluster_at_;
  WallTime dcs_last_seen_{};

  mutable std::mutex mutex_;  // guards commands_ and snapshot_
  std::deque<model::Command> commands_;
  std::shared_ptr<const model::StatusSnapshot> snapshot_;
};

}  // namespace pghalo::agent
