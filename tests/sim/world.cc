// World: the scheduler (steps, background events, agent cycles, watchers) and the trace.
#include "world.h"

#include <cstdio>
#include <ostream>

#include "common/log.h"

namespace pghalo::sim {
namespace {

constexpr Ms kNever = INT64_MAX;
constexpr Ms kRestartSec = 10 * kSecond;  // systemd's RestartSec in deploy/systemd
constexpr Ms kSettleLimit = 240 * kSecond;
constexpr Ms kStableTail = 40 * kSecond;

World* g_world = nullptr;  // the log sink's way back to the world of this thread

std::string fmt_time(Ms t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.3fs", static_cast<double>(t) / 1000.0);
  return buf;
}

}  // namespace

World::World(const RunOptions& options) : options_(options), random_(options.seed) {
  result_.seed = options.seed;
  etcd_ = std::make_unique<EtcdCluster>(*this, time_);
  draw_shape();
  cut_.assign(static_cast<std::size_t>(shape_.nodes), std::vector<char>(static_cast<std::size_t>(shape_.nodes), 0));
  pg_world_.can_stream = [this](const fakes::FakeServer& standby, const fakes::FakeServer& upstream) {
    int a = -1, b = -1;
    for (const auto& n : nodes_) {
      if (n->name == standby.name) a = n->index;
      if (n->name == upstream.name) b = n->index;
    }
    if (a < 0 || b < 0) return false;
    const Node& s = *nodes_[static_cast<std::size_t>(a)];
    return !s.replication_stalled && !peer_cut(a, b) && !peer_cut(b, a);
  };
  for (int i = 0; i < shape_.nodes; ++i) build_node(i);
  result_.nodes = shape_.nodes;
  heal_bound_ = 2 * shape_.ttl * kSecond + 3 * shape_.loop_wait * kSecond + 90 * kSecond;
  install_log_sink();
}

World::~World() {
  // Unwind blocked tasks, then the agents (they hold pointers into the processes' parts and the
  // nodes), then the threads.
  for (auto& n : nodes_) unwind_task(*n);
  for (auto& n : nodes_) {
    if (n->proc) n->proc->agent.reset();
  }
  for (auto& n : nodes_) n->thread.reset();
  log::set_sink(nullptr);
  log::reset();
  g_world = nullptr;
}

void World::install_log_sink() {
  g_world = this;
  log::set_level(log::Level::kInfo);
  log::set_sink([](const log::Record& r, const std::string&) {
    World* w = g_world;
    if (!w) return;
    w->result_.probes["log:" + std::string(r.event)]++;
    if (!w->options_.trace) return;
    std::string line(log::level_name(r.level));
    line += ' ';
    line += r.event;
    line += ": ";
    line += r.message;
    for (const auto& f : r.fields) line += " " + f.key + "=" + f.value;
    w->note(r.context.empty() ? "-" : std::string(r.context), line);
  });
}

std::string World::stamp() const { return fmt_time(time_.now); }

void World::note(std::string_view who, std::string_view line) {
  if (!options_.trace || !options_.out) return;
  *options_.out << fmt_time(time_.now) << "  " << who;
  for (std::size_t pad = who.size(); pad < 7; ++pad) *options_.out << ' ';
  *options_.out << "  " << line << '\n';
}

void World::probe(std::string_view name) { result_.probes[std::string(name)]++; }

void World::at(Ms when, std::string label, std::function<void()> what) {
  timed_.emplace(std::make_pair(when, timed_seq_++), Timed{std::move(label), std::move(what)});
}

// ---- state queries ---------------------------------------------------------------------------

std::optional<std::string> World::leader_key() {
  auto kv = etcd_->kv().get("/db/postgres/leader");
  if (!kv) return std::nullopt;
  return kv->value;
}

bool World::paused() {
  auto kv = etcd_->kv().get("/db/postgres/config");
  if (!kv) return false;
  if (kv->mod_revision != paused_revision_) {
    auto json = nlohmann::json::parse(kv->value, nullptr, false);
    paused_ = json.is_object() && json.value("pause", false) == true;
    paused_revision_ = kv->mod_revision;
  }
  return paused_;
}

bool World::writable(const Node& n) const {
  const fakes::FakeServer& s = n.pg->server();
  return s.running && s.accepting && !s.in_recovery && !s.frozen;
}

std::vector<int> World::writable_nodes() const {
  std::vector<int> out;
  for (const auto& n : nodes_) {
    if (writable(*n)) out.push_back(n->index);
  }
  return out;
}

// ---- scheduling ------------------------------------------------------------------------------

bool World::agent_runnable(const Node& n) const {
  return n.proc && !n.frozen_until && !n.stalled_until && !n.stopping;
}

std::optional<Ms> World::resume_due(const Node& n) const {
  if (!n.thread->busy() || !n.resume_at || n.frozen_until || n.stalled_until) return std::nullopt;
  return std::max(*n.resume_at, time_.now);
}

std::optional<Ms> World::cycle_due(const Node& n) const {
  if (!agent_runnable(n) || n.thread->busy()) return std::nullopt;
  Ms due = n.clock.global_when(n.proc->agent->next_wakeup());
  if (n.wake_at && *n.wake_at < due) due = *n.wake_at;
  return std::max(due, time_.now);
}

Ms World::next_background() const {
  Ms t = kNever;
  if (!timed_.empty()) t = std::min(t, timed_.begin()->first.first);
  for (const auto& n : nodes_) {
    if (!n->proc || n->frozen_until) continue;
    const ha::Fence& f = n->proc->fencer->fence();
    if (f.armed) t = std::min(t, n->clock.global_when(f.writable_until));
    if (auto due = n->proc->jobs->due()) t = std::min(t, *due);
  }
  for (const auto& o : orphans_) {
    if (auto due = o.jobs->due()) t = std::min(t, *due);
  }
  t = std::min({t, next_write_at_, next_replication_at_});
  if (etcd_->has_quorum()) {
    if (auto expiry = etcd_->kv().next_lease_expiry()) {
      Ms e = std::chrono::duration_cast<std::chrono::milliseconds>(expiry->time_since_epoch()).count();
      t = std::min(t, std::max(e, time_.now));
    }
  }
  return t;
}

Ms World::next_event() const {
  Ms t = std::min({next_background(), next_fault_at_, next_compaction_at_, end_at_});
  for (const auto& n : nodes_) {
    if (auto due = cycle_due(*n)) t = std::min(t, *due);
    if (auto due = resume_due(*n)) t = std::min(t, *due);
    if (n->restart_at) t = std::min(t, *n->restart_at);
    if (n->frozen_until) t = std::min(t, *n->frozen_until);
    if (n->stalled_until) t = std::min(t, *n->stalled_until);
  }
  for (const auto& f : faults_) t = std::min(t, f.heal_at);
  return std::max(t, time_.now);
}

void World::advance(Ms duration) {
  int party = AgentThread::current();
  if (party == Turns::kWorld) {
    std::fprintf(stderr, "pghalo-sim: only an agent's call may wait for virtual time\n");
    std::abort();
  }
  Node& n = node(party);
  if (duration > 0 && !n.kill_requested) {
    n.resume_at = time_.now + duration;
    turns_.yield(party);
  }
  if (n.kill_requested) throw ProcessKilled{};
}

void World::start_task(Node& n, std::function<void()> task, std::function<void()> after) {
  n.after_task = std::move(after);
  n.resume_at.reset();
  if (n.thread->start(std::move(task))) task_ended(n);
}

void World::resume_task(Node& n) {
  n.resume_at.reset();
  if (n.thread->resume()) task_ended(n);
}

void World::task_ended(Node& n) {
  auto after = std::move(n.after_task);
  n.after_task = nullptr;
  bool killed = n.kill_requested;
  n.kill_requested = false;
  if (!killed && after) after();
}

void World::unwind_task(Node& n) {
  if (!n.thread || !n.thread->busy()) return;
  n.kill_requested = true;
  resume_task(n);
}

void World::run_timed() {
  while (!timed_.empty() && timed_.begin()->first.first <= time_.now) {
    auto node = timed_.extract(timed_.begin());
    node.mapped().what();
  }
}

void World::fire_fences() {
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!n.proc || n.frozen_until) continue;
    const ha::Fence& f = n.proc->fencer->fence();
    if (!f.armed || n.clock.global_when(f.writable_until) > time_.now) continue;
    n.proc->fencer->fired();
    stop_writes(n, "the leader lease could not be confirmed in time");
  }
}

void World::stop_writes(Node& n, const std::string& why) {
  bool was_writable = writable(n) || n.pg->server().running;
  log::ScopedContext context(n.name);
  log::error("fence_fired", why + "; stopping PostgreSQL writes now");
  (void)n.pg->signal_immediate_stop();
  if (was_writable) probe("fence_fired_on_running_postgres");
}

void World::finish_jobs() {
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!n.proc || n.frozen_until) continue;
    auto due = n.proc->jobs->due();
    if (!due || *due > time_.now) continue;
    log::ScopedContext context(n.name);
    n.proc->jobs->complete();
  }
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    auto due = it->jobs->due();
    if (due && *due <= time_.now) {
      probe("orphan_job_completed_after_agent_death");
      it->jobs->complete();
    }
    if (!it->jobs->due()) {
      it = orphans_.erase(it);
    } else {
      ++it;
    }
  }
}

void World::run_background() {
  run_timed();
  fire_fences();
  finish_jobs();
  if (etcd_->has_quorum()) {
    auto expiry = etcd_->kv().next_lease_expiry();
    if (expiry && *expiry <= etcd_->clock().now()) {
      auto before = etcd_->kv().revision();
      etcd_->kv().expire_leases();
      if (etcd_->kv().revision() != before) note("etcd", "a lease expired; its keys are deleted");
    }
  }
  if (time_.now >= next_replication_at_) {
    replicate();
    next_replication_at_ = time_.now + static_cast<Ms>(random_.uniform(100, 1000));
  }
  if (time_.now >= next_write_at_) {
    client_writes();
    next_write_at_ = time_.now + static_cast<Ms>(random_.uniform(100, 1500));
  }
}

void World::wake(Node& n) {
  Ms when = time_.now + static_cast<Ms>(random_.uniform(1, 40));
  if (!n.wake_at || *n.wake_at > when) n.wake_at = when;
}

void World::run_cycle(Node& n) {
  n.wake_at.reset();
  agent::Agent* a = n.proc->agent.get();
  std::string name = n.name;
  start_task(
      n,
      [a, name] {
        log::ScopedContext context(name);
        a->run_cycle();
      },
      [this, &n] { after_cycle(n); });
}

void World::after_cycle(Node& n) {
  agent::Agent& a = *n.proc->agent;
  const ha::Decision& d = a.last_decision();
  probe("reason:" + std::string(ha::reason_name(d.reason)));
  for (auto it = n.replies.begin(); it != n.replies.end();) {
    if (it->second.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ++it;
      continue;
    }
    model::CommandReply reply = it->second.get();
    note(n.name, it->first + " answered " + std::to_string(reply.status) + " " + reply.body);
    probe("command_reply_" + std::to_string(reply.status));
    // A pause that reached /config after the final heal, or the heal's own resume that lost a
    // race for /config (409): the operator, who healed everything, resumes again (seed 479).
    bool paused_late = it->first == "pause" && reply.status == 200;
    if (phase_ == Phase::kHealing && (paused_late || it->first == "resume") && paused()) {
      probe("operator_resumed_after_late_pause");
      resume_directly("resumes again: a pause command took effect after the heal");
    }
    it = n.replies.erase(it);
  }
  // What this agent learned about the leader, for the follow invariant.
  auto snap = a.snapshot();
  std::optional<std::string> leader;
  bool fresh = snap && snap->cluster && snap->cluster_view_at && snap->cluster_view_at != n.last_view_at;
  if (fresh) n.last_view_at = snap->cluster_view_at;
  if (fresh && snap->cluster->leader) leader = snap->cluster->leader->name.value;
  if (fresh && leader != n.seen_leader) {
    n.seen_leader = leader;
    n.seen_leader_since = time_.now;
  }
  n.last_reason = d.reason;
  n.last_cycle_without_etcd = !snap || !snap->cluster || !fresh;
  check_busy(n);
  if (a.fatal()) {
    note(n.name, "agent exits: " + *a.fatal());
    probe("agent_fatal_exit");
    end_process(n, kRestartSec);
  }
}

void World::end_process(Node& n, std::optional<Ms> restart_after, std::optional<bool> job_survives) {
  unwind_task(n);
  if (!n.proc) return;
  if (auto due = n.proc->jobs->due()) {
    // The agent's job child (pg_ctl, pg_rewind...) may outlive it. The toss is drawn even when
    // the caller decided, so that the seeds' random streams stay as they were.
    n.proc->jobs->detach();
    bool toss = random_.chance(0.5);
    if (job_survives.value_or(toss)) {
      orphans_.push_back(Orphan{std::move(n.proc->jobs), std::move(n.proc->fencer), &n});
    }
  }
  n.proc->agent.reset();
  n.proc.reset();
  n.stopping = false;
  n.stalled_until.reset();
  n.wake_at.reset();
  n.seen_leader.reset();
  n.wrong_upstream_since.reset();
  n.replies.clear();
  if (restart_after) n.restart_at = time_.now + *restart_after;
}

Ms World::downtime_after_shutdown(Node& n) {
  const fakes::FakeServer& s = n.pg->server();
  if (!s.running || s.in_recovery) return n.stop_downtime;
  // The agent left a primary running (paused as far as it knew, or PostgreSQL did not stop): out
  // of the model unless systemd brings it back before its fence would fire, as for a SIGKILL.
  // The cap at the SIGTERM assumed a pause etcd confirmed and a lease renewed at the stop; the
  // agent may have believed a pause the operator had ended (seed 4503) or failed to renew its
  // lease before (seed 9639). The restarted agent re-arms the recorded fence.
  const ha::Fence& f = n.proc->fencer->fence();
  if (!f.armed) return n.stop_downtime;  // not fenced: the operator's (a paused non-leader)
  Ms left = n.clock.global_when(f.writable_until) - time_.now;
  Ms capped = std::max<Ms>(500, left - 2000);
  if (capped < n.stop_downtime) probe("sigterm_downtime_capped_by_fence");
  return std::min(n.stop_downtime, capped);
}

void World::thaw(Node& n) {
  n.frozen_until.reset();
  n.pg->server().frozen = false;
  note(n.name, "host resumes");
  if (n.loop_first_on_thaw && n.proc && agent_runnable(n) && !n.thread->busy()) {
    probe("thaw_loop_before_fencer");
    run_cycle(n);
  }
}

void World::run_watchers() {
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!n.proc || n.frozen_until || n.host_down) continue;
    auto& w = *n.proc->watcher;
    if (w.last_revision().value != 0 && w.last_revision() >= etcd_->kv().revision()) continue;
    log::ScopedContext context(n.name);
    (void)w.step();
  }
}

void World::process_faults() {
  for (auto& np : nodes_) {
    Node& n = *np;
    if (n.frozen_until && *n.frozen_until <= time_.now) thaw(n);
    if (n.stalled_until && *n.stalled_until <= time_.now) {
      n.stalled_until.reset();
      note(n.name, "HA loop unblocked");
    }
    if (n.restart_at && *n.restart_at <= time_.now) {
      n.host_down = false;
      n.restart_at.reset();
      if (!n.proc) start_agent(n);
    }
  }
  for (auto it = faults_.begin(); it != faults_.end();) {
    if (it->heal_at > time_.now) {
      ++it;
      continue;
    }
    ActiveFault f = std::move(*it);
    it = faults_.erase(it);
    note("fault", "healed: " + f.label);
    f.heal();
  }
  if (phase_ == Phase::kChaos && time_.now >= next_fault_at_) {
    inject_fault();
    next_fault_at_ = time_.now + static_cast<Ms>(random_.uniform(1, static_cast<std::uint64_t>(2 * shape_.fault_rate)));
  }
  if (time_.now >= next_compaction_at_) {
    auto rev = etcd_->kv().revision();
    if (etcd_->has_quorum() && rev.value > 50) {
      etcd_->kv().compact(model::Revision(rev.value - 20));
      probe("etcd_compaction");
    }
    next_compaction_at_ = time_.now + static_cast<Ms>(random_.uniform(30, 120)) * kSecond;
  }
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!n.stopping || !n.proc || n.thread->busy() || n.proc->jobs->running()) continue;
    agent::Agent* a = n.proc->agent.get();
    std::string name = n.name;
    start_task(
        n,
        [a, name] {
          log::ScopedContext context(name);
          a->shutdown();
        },
        [this, &n] {
          note(n.name, "agent shut down (SIGTERM)");
          end_process(n, downtime_after_shutdown(n));
        });
  }
}

void World::advance_phase() {
  switch (phase_) {
    case Phase::kSettle:
      if (fully_healthy() || time_.now - phase_since_ >= kSettleLimit) {
        phase_ = Phase::kChaos;
        phase_since_ = time_.now;
        next_fault_at_ = time_.now + static_cast<Ms>(random_.uniform(0, static_cast<std::uint64_t>(shape_.fault_rate)));
        note("world", "chaos begins for " + std::to_string(shape_.chaos / kSecond) + " s");
      }
      break;
    case Phase::kChaos:
      if (time_.now - phase_since_ >= shape_.chaos) {
        heal_everything();
        phase_ = Phase::kHealing;
        phase_since_ = time_.now;
        next_fault_at_ = kNever;
        converged_at_.reset();
        end_at_ = time_.now + heal_bound_ + kStableTail;
        note("world", "every fault healed; exactly one primary is due within " +
                          std::to_string(heal_bound_ / kSecond) + " s");
      }
      break;
    case Phase::kHealing:
      if (converged_at_ && time_.now >= *converged_at_ + kStableTail && fully_healthy()) {
        end_at_ = time_.now;
      }
      break;
  }
}

void World::run_instant() {
  advance_phase();
  process_faults();
  run_background();
  for (auto& np : nodes_) {
    Node& n = *np;
    if (auto due = resume_due(n); due && *due <= time_.now) resume_task(n);
  }
  for (auto& np : nodes_) {
    Node& n = *np;
    if (auto due = cycle_due(n); due && *due <= time_.now) run_cycle(n);
  }
  run_watchers();
  run_background();
}

RunResult World::run() {
  note("world", "seed " + std::to_string(options_.seed) + ": " + std::to_string(shape_.nodes) +
                    " nodes, ttl=" + std::to_string(shape_.ttl) + " loop_wait=" +
                    std::to_string(shape_.loop_wait) + " retry_timeout=" +
                    std::to_string(shape_.retry_timeout) + (shape_.nofailover >= 0 ? ", nofailover=node" + std::to_string(shape_.nofailover + 1) : "") +
                    (shape_.clonefrom >= 0 ? ", clonefrom=node" + std::to_string(shape_.clonefrom + 1) : "") +
                    (shape_.no_bootstrap >= 0 ? ", no bootstrap section on node" + std::to_string(shape_.no_bootstrap + 1) : "") +
                    (shape_.synchronous == 2 ? ", synchronous_mode strict" : shape_.synchronous == 1 ? ", synchronous_mode" : "") +
                    (shape_.synchronous > 0 && shape_.sync_node_count > 1 ? " (2 standbys)" : "") +
                    (shape_.nosync >= 0 ? ", nosync=node" + std::to_string(shape_.nosync + 1) : "") +
                    (shape_.failsafe ? ", failsafe_mode" : ""));
  if (shape_.synchronous > 0) probe(shape_.synchronous == 2 ? "seed_synchronous_mode_strict" : "seed_synchronous_mode");
  if (shape_.failsafe) probe("seed_failsafe_mode");
  for (auto& n : nodes_) n->restart_at = static_cast<Ms>(random_.uniform(0, 3000));
  next_fault_at_ = kNever;
  next_compaction_at_ = 60 * kSecond;
  end_at_ = kSettleLimit + shape_.chaos + heal_bound_ + kStableTail + 60 * kSecond;
  long steps = 0;
  while (steps < options_.max_steps) {
    Ms t = next_event();
    if (t >= end_at_) break;
    time_.now = t;
    run_instant();
    check_invariants();
    ++steps;
  }
  if (steps >= options_.max_steps) violate("bounded_run", "the step bound was reached before the run ended");
  time_.now = std::max(time_.now, std::min(end_at_, time_.now));
  if (phase_ != Phase::kHealing) violate("bounded_run", "the run ended before the faults were healed");
  count_lost_writes();
  result_.steps = steps;
  result_.virtual_end = time_.now;
  if (converged_at_ && phase_ == Phase::kHealing && !heal_exempt_) result_.converged_after_heal = *converged_at_ - phase_since_;
  note("world", "end after " + std::to_string(steps) + " steps; " + std::to_string(result_.violations.size()) + " violation(s)");
  return result_;
}

RunResult run_simulation(const RunOptions& options) {
  World world(options);
  return world.run();
}

}  // namespace pghalo::sim
