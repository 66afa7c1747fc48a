#include "agent/agent.h"

#include "agent/postgres_plan.h"
#include "common/log.h"
#include "dcs/codec.h"
#include "ha/decide.h"

namespace pghalo::agent {

namespace {

constexpr std::size_t kMaxQueuedCommands = 16;

}  // namespace

Agent::Agent(config::Config local, AgentDeps deps) : local_(std::move(local)), deps_(deps) {
  std::vector<config::Diagnostic> ignored;
  dynamic_ = config::parse_dynamic_config(local_.bootstrap.dcs, &ignored);
  apply_dynamic_config(nullptr);
  next_wakeup_ = deps_.clock->now();
  rearm_inherited_fence();
}

void Agent::rearm_inherited_fence() {
  // Before any etcd call: the first cycle may block in etcd past the deadline the previous
  // process armed, and until its decision this process knows no other (simulator seeds 110,
  // 679). Whatever PostgreSQL's state: the previous process armed the fence because its server
  // was or could become writable (a promotion it started may still complete), and stopping
  // writes of one that accepts none costs nothing. The first decision replaces this fence; one
  // already overdue when this process starts is not re-armed (below).
  auto inherited = deps_.fencer->inherited();
  if (!inherited || !inherited->armed) return;
  double left = to_seconds(std::chrono::duration_cast<Duration>(inherited->writable_until - deps_.clock->now()));
  if (left <= 0) {
    // The agent was down past its lease: nothing this fence can still prevent is left (another
    // member may have taken over long ago), and in maintenance mode the primary is the
    // operator's: the first cycle takes the lock back when etcd shows the pause (as Patroni
    // does; compat test_10_pause_and_resume), or fences it at once when another member leads.
    log::warn("fence_inherited", "the previous agent process's fence ran out before this process started; "
              "leaving PostgreSQL to the first cycle", {{"seconds_overdue", -left}});
    return;
  }
  log::warn("fence_inherited",
            "the previous agent process left the fence armed; PostgreSQL stops accepting writes at its "
            "deadline unless this process proves the leader lease first",
            {{"seconds_left", left}});
  deps_.fencer->apply(*inherited);
  inherited_fence_ = inherited;
}

ha::Fence Agent::fence_for(const ha::Decision& decision, const ha::Observation& obs) {
  if (!inherited_fence_) return decision.fence;
  // The inherited fence holds while this process cannot tell what its PostgreSQL will come up
  // as: a postmaster that does not answer yet (crash recovery, a start) may be becoming the
  // primary the previous process fenced, and a fresh process has no memory that it was one
  // (simulator seed 3702: the first decision disarmed the fence, crash recovery ended into a
  // primary while the loop was blocked, and it outlived the lease). Once PostgreSQL answers or
  // is down, a fence of the decision's own, or a pause etcd confirms, the decision knows.
  bool decision_knows = decision.fence.armed || obs.pg.accepting_connections || !obs.pg.running() ||
                        (ha_config_.paused && obs.cluster);
  if (!decision_knows) return *inherited_fence_;
  inherited_fence_.reset();
  return decision.fence;
}

void Agent::apply_dynamic_config(const model::ClusterState* cluster) {
  if (cluster && cluster->config &&
      (!applied_config_revision_ || *applied_config_revision_ != cluster->config_revision)) {
    std::vector<config::Diagnostic> diagnostics;
    dynamic_ = config::parse_dynamic_config(*cluster->config, &diagnostics);
    applied_config_revision_ = cluster->config_revision;
    last_config_ = *cluster->config;
    config_files_stale_ = true;
    for (const auto& d : diagnostics) {
      log::warn("dynamic_config", "/config: " + d.to_string());
    }
    log::info("dynamic_config_applied", "applied /config",
              {{"revision", cluster->config_revision.value},
               {"ttl", dynamic_.ttl},
               {"loop_wait", dynamic_.loop_wait},
               {"retry_timeout", dynamic_.retry_timeout}});
    if (deps_.on_dynamic_config) deps_.on_dynamic_config(dynamic_);
  }
  ha::HaConfig& h = ha_config_;
  h.name = model::MemberName(local_.name);
  h.tags = local_.tags;
  h.ttl = std::chrono::seconds(dynamic_.ttl);
  h.loop_wait = std::chrono::seconds(dynamic_.loop_wait);
  h.retry_timeout = std::chrono::seconds(dynamic_.retry_timeout);
  h.maximum_lag_on_failover = static_cast<std::uint64_t>(std::max(0LL, dynamic_.maximum_lag_on_failover));
  h.check_timeline = dynamic_.check_timeline;
  h.primary_start_timeout = std::chrono::seconds(dynamic_.primary_start_timeout);
  h.use_pg_rewind = dynamic_.use_pg_rewind || local_.postgresql.use_pg_rewind;
  h.use_slots = dynamic_.use_slots;
  h.may_bootstrap = local_.has_bootstrap_section;
  h.paused = dynamic_.pause;
  h.failsafe_mode = dynamic_.failsafe_mode;
  h.synchronous_mode = dynamic_.synchronous_mode;
  h.synchronous_mode_strict = dynamic_.synchronous_mode_strict;
  h.synchronous_node_count = dynamic_.synchronous_node_count;
  h.maximum_lag_on_syncnode = dynamic_.maximum_lag_on_syncnode;
  // The margin must leave the fence before the lease: a tenth of ttl, at least one second.
  h.fencing_margin = std::max<Duration>(std::chrono::seconds(1), std::chrono::seconds(dynamic_.ttl) / 10);
  deps_.store->set_timing({h.ttl, h.retry_timeout});
}

Agent::Observed Agent::observe() {
  Observed o;
  ha::Observation& obs = o.obs;
  obs.now = deps_.clock->now();
  obs.wall_now = deps_.clock->wall_now();

  auto lease = deps_.store->keepalive();
  if (lease.ok()) {
    obs.lease = lease->lease;
    obs.lease_valid_until = lease->valid_until();
    o.lease_newly_granted = lease->newly_granted;
  } else {
    obs.lease = deps_.store->current_lease();
    obs.lease_valid_until = lease_valid_until_;
  }
  if (lease.ok()) lease_valid_until_ = obs.lease_valid_until;

  auto cluster = deps_.store->read_cluster();
  if (cluster.ok()) {
    if (!cluster->problems.empty()) {
      std::string joined;
      for (const auto& p : cluster->problems) joined += (joined.empty() ? "" : "; ") + p;
      if (joined != last_problems_) log::warn("dcs_corrupt_values", "ignoring undecodable keys: " + joined);
      last_problems_ = joined;
    }
    last_cluster_ = std::make_shared<const model::ClusterState>(*cluster);
    last_cluster_at_ = obs.now;
    dcs_last_seen_ = obs.wall_now;
    obs.cluster = std::move(cluster).value();
    failsafe_round_.reset();  // rounds matter only while etcd is unreachable
    if (!last_dcs_error_.empty()) log::info("dcs_reachable", "etcd answers again");
    last_dcs_error_.clear();
  } else {
    obs.dcs_error = cluster.error().message;
    if (obs.dcs_error != last_dcs_error_) log::error("dcs_unavailable", obs.dcs_error);
    last_dcs_error_ = obs.dcs_error;
  }
  if (!lease.ok() && obs.cluster) {
    // The read worked but the keepalive did not: one transient failure, logged once per cycle.
    log::warn("lease_keepalive_failed", lease.error().message);
  }
  apply_dynamic_config(obs.cluster ? &*obs.cluster : nullptr);

  obs.pg = deps_.probe->observe();
  obs.job = deps_.jobs->running();
  obs.job_finished = deps_.jobs->take_finished();
  obs.peers = std::move(peers_for_next_cycle_);
  peers_for_next_cycle_.reset();
  obs.won_initialize = won_initialize_;
  obs.failsafe_round = failsafe_round_;
  obs.failsafe_leader = failsafe_leader_;
  obs.failsafe_leader_until = failsafe_leader_until_;
  return o;
}

void Agent::run_cycle() {
  handle_commands();
  Observed observed = observe();
  answer_finished_restart(observed.obs);
  run_due_restart(observed.obs);
  if (!observed.obs.job) observed.obs.job = deps_.jobs->running();
  ha::Decision decision = ha::decide(observed.obs, memory_, ha_config_);
  log_cycle(decision);
  auto sync_names_before = ha::assumed_sync_standby_names(observed.obs, memory_, ha_config_);
  synchronous_standby_names_ = render_synchronous_standby_names(decision.memory.sync_standby_names);
  sync_names_applied_ = false;
  // The fence first: the actions may block on etcd for up to retry_timeout each, and a fresh
  // process has no fence at all until this one (simulator seed 870: the restarted agent of a
  // primary spent its first cycle in etcd calls past the old lease, and nothing fenced it).
  deps_.fencer->apply(fence_for(decision, observed.obs));
  execute(decision, observed);
  memory_ = decision.memory;
  memory_.sync_standby_names = sync_names_after_cycle(sync_names_before, decision, sync_names_applied_);
  synchronous_standby_names_ = render_synchronous_standby_names(memory_.sync_standby_names);
  // After a reload PostgreSQL may flag pending_restart: publish that within a second, not a loop.
  bool reloaded = config_files_stale_ && refresh_config_files(observed);
  restore_config_key(observed);
  last_decision_ = decision;
  if (observed.obs.cluster) publish_member(observed);
  publish_snapshot(observed);

  Duration wait = ha_config_.loop_wait;
  if (decision.wake_in && *decision.wake_in < wait) wait = *decision.wake_in;
  if (reloaded) wait = std::min<Duration>(wait, std::chrono::seconds(1));
  next_wakeup_ = observed.obs.now + wait;
}

void Agent::log_cycle(const ha::Decision& d) {
  std::vector<log::Field> fields{{"reason", std::string(ha::reason_name(d.reason))}};
  std::string actions;
  for (const auto& a : d.actions) actions += (actions.empty() ? "" : ",") + ha::action_name(a);
  if (!actions.empty()) fields.emplace_back("actions", actions);
  log::info("ha_cycle", d.detail, std::move(fields));
}

void Agent::publish_member(const Observed& observed) {
  const auto& pg = observed.obs.pg;
  dcs::MemberDocument doc;
  doc.conn_url = member_conn_url(local_);
  doc.api_url = member_api_url(local_);
  doc.state = std::string(model::pg_state_name(memory_.state));
  doc.role = std::string(model::role_name(memory_.role, local_.role_vocabulary));
  doc.version = kPatroniVersion;
  doc.tags = local_.tags.to_json();
  doc.pending_restart = pg.accepting_connections && pg.pending_restart;
  if (pg.accepting_connections) {
    doc.xlog_location = pg.position().value;
    if (pg.timeline.value > 0) doc.timeline = pg.timeline.value;
  }
  doc.pause = ha_config_.paused;
  doc.scheduled_restart = scheduled_restart_json_;
  std::string encoded = dcs::encode_member(doc);
  if (encoded == last_member_json_ && !observed.lease_newly_granted &&
      observed.obs.cluster->member(ha_config_.name)) {
    return;  // unchanged and still attached to our lease (touch_member's rule)
  }
  auto status = deps_.store->publish_member(ha_config_.name, nlohmann::json::parse(encoded));
  if (status.ok()) {
    last_member_json_ = encoded;
  } else {
    log::warn("publish_member_failed", status.error().message);
  }
}

void Agent::publish_snapshot(const Observed& observed) {
  auto snap = std::make_shared<model::StatusSnapshot>();
  const auto& obs = observed.obs;
  snap->name = local_.name;
  snap->scope = local_.scope;
  snap->version = kPatroniVersion;
  snap->api_url = member_api_url(local_);
  snap->conn_url = member_conn_url(local_);
  snap->vocabulary = local_.role_vocabulary;
  snap->state = memory_.state;
  snap->role = memory_.role;
  snap->pg = obs.pg;
  if (obs.pg.control && !obs.pg.control->system_identifier.empty()) {
    snap->system_identifier = obs.pg.control->system_identifier;
  }
  snap->pending_restart = obs.pg.accepting_connections && obs.pg.pending_restart;
  snap->tags = local_.tags;
  snap->configured_tags = local_.tags_raw;
  if (scheduled_restart_json_.is_object()) {
    nlohmann::json shown = scheduled_restart_json_;
    shown.erase("postmaster_start_time");  // REST shows the request, not the bookkeeping
    snap->scheduled_restart = shown;
  }
  bool leader_now = obs.cluster ? obs.cluster->is_leader(ha_config_.name)
                                : memory_.leader_lease.has_value();
  if (leader_now && memory_.leader_lease) snap->lock_valid_until = obs.lease_valid_until;
  snap->cluster = last_cluster_;
  snap->cluster_view_at = last_cluster_at_;
  snap->dcs_last_seen = dcs_last_seen_;
  snap->paused = ha_config_.paused;
  snap->standby_cluster = !dynamic_.standby_cluster.is_null();
  snap->synchronous_mode = dynamic_.synchronous_mode;
  snap->failsafe_mode = dynamic_.failsafe_mode;
  snap->failsafe_active = last_decision_.reason == ha::Reason::kFailsafeActive;
  snap->ttl = ha_config_.ttl;
  snap->loop_wait = ha_config_.loop_wait;
  snap->maximum_lag_on_failover = dynamic_.maximum_lag_on_failover;
  Duration wait = ha_config_.loop_wait;
  if (last_decision_.wake_in && *last_decision_.wake_in < wait) wait = *last_decision_.wake_in;
  snap->next_cycle_at = obs.now + wait;
  if (last_cluster_ && last_cluster_->config) snap->dynamic_config = *last_cluster_->config;
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snap);
}

void Agent::refresh_status() {
  auto current = snapshot();
  if (!current) return;
  auto fresh = std::make_shared<model::StatusSnapshot>(*current);
  fresh->pg = deps_.probe->observe_status();
  if (deps_.jobs->running()) {
    // A job (restart, demotion, rewind, promotion) owns the state the loop published for it
    // until the loop sees it end: a restart shorter than a refresh must still show as one, and
    // a demoting primary must not read as a running one between its stop and its start.
  } else if (fresh->pg.accepting_connections) {
    fresh->state = model::PgState::kRunning;
    fresh->role = fresh->pg.in_recovery ? model::Role::kReplica : model::Role::kPrimary;
  } else if (current->state == model::PgState::kRunning) {
    // It answered at the last cycle and does not now: say so until the loop decides what it is.
    fresh->state = fresh->pg.running() ? model::PgState::kUnknown : model::PgState::kStopped;
  }
  fresh->pending_restart = fresh->pg.accepting_connections && fresh->pg.pending_restart;
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(fresh);
}

std::shared_ptr<const model::StatusSnapshot> Agent::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

bool Agent::post(model::Command command) {
  std::lock_guard lock(mutex_);
  if (commands_.size() >= kMaxQueuedCommands) return false;
  commands_.push_back(std::move(command));
  return true;
}

bool Agent::has_pending_commands() const {
  std::lock_guard lock(mutex_);
  return !commands_.empty();
}

void Agent::reload(config::Config local) {
  log::info("config_reloaded", "reloaded the local configuration", {{"source", local.source}});
  local_ = std::move(local);
  last_member_json_.clear();  // tags or addresses may have changed
  apply_dynamic_config(nullptr);
  config_files_stale_ = true;
}

bool Agent::refresh_config_files(const Observed& observed) {
  const model::PgObservation& pg = observed.obs.pg;
  // Only into a server that answers and that no job is reconfiguring (a start, clone, rewind or
  // promotion writes the files itself), and for a replica only with its upstream's address in
  // view: rewriting without it would cut the replica off its primary.
  if (!pg.accepting_connections || deps_.jobs->running() || !observed.obs.cluster) return false;
  std::optional<model::Member> upstream;
  if (pg.in_recovery) {
    const model::Member* m =
        memory_.following ? observed.obs.cluster->member(*memory_.following) : nullptr;
    if (!m) return false;  // try again next cycle
    upstream = *m;
  }
  Status s = rewrite_config_files(job_context(pg), !pg.in_recovery, upstream);
  if (!s.ok()) {
    log::warn("config_files", "could not apply the new settings: " + s.error().message);
    return false;
  }
  config_files_stale_ = false;
  log::info("config_files", "wrote the settings of /config and the local file, and reloaded");
  return true;
}

// `patronictl remove` deletes the whole cluster prefix, /config included. The leader puts back
// the configuration it last applied, as Patroni does, so the cluster keeps its settings (pause,
// timing, parameters) instead of every member falling back to its own file's defaults.
void Agent::restore_config_key(const Observed& observed) {
  const auto& cluster = observed.obs.cluster;
  if (!cluster || cluster->config || !last_config_ || !cluster->is_leader(ha_config_.name)) return;
  auto written = deps_.store->write_config(*last_config_, std::nullopt);
  if (written.ok() && *written) {
    log::info("config_restored", "/config was missing; wrote back the configuration last applied");
  } else {
    log::warn("config_restore_failed", "/config is missing and could not be written back" +
                                           (written.ok() ? std::string() : ": " + written.error().message));
  }
}

}  // namespace pghalo::agent
