// World: the invariants, checked after every step and after every background event while a call
// is in flight. Their exact definitions are in docs/simulation.md.
#include <set>

#include "dcs/codec.h"
#include "world.h"

namespace pghalo::sim {
namespace {

constexpr std::size_t kReportsPerInvariant = 3;
constexpr std::size_t kBusyCyclesPerSecond = 60;

}  // namespace

void World::violate(const std::string& invariant, const std::string& detail) {
  std::size_t same = 0;
  for (const auto& v : result_.violations) same += v.invariant == invariant ? 1 : 0;
  if (same >= kReportsPerInvariant) return;
  result_.violations.push_back(Violation{invariant, time_.now, detail});
  note("CHECK", "VIOLATION " + invariant + ": " + detail);
}

void World::check_invariants() {
  auto writers = writable_nodes();
  check_single_primary(writers);
  check_holds_lease(writers);
  check_timelines(writers);
  check_followers();
  check_convergence(writers);
  for (auto& n : nodes_) n->writable = writable(*n);
  if (!options_.trace) return;
  std::string line = "writable=[";
  for (std::size_t i = 0; i < writers.size(); ++i) line += (i ? "," : "") + node(writers[i]).name;
  line += "] leader=" + leader_key().value_or("-");
  if (line != last_check_line_) {
    note("check", "ok " + line);
    last_check_line_ = line;
  }
}

void World::check_single_primary(const std::vector<int>& writers) {
  if (writers.size() <= 1) return;
  std::string detail = "writable at the same instant:";
  for (int w : writers) {
    Node& n = node(w);
    detail += " " + n.name + "(tl " + std::to_string(n.pg->server().timeline) + ")";
  }
  detail += "; leader key: " + leader_key().value_or("none");
  violate("single_writable_primary", detail);
}

void World::check_holds_lease(const std::vector<int>& writers) {
  if (writers.empty() || paused()) return;
  auto init = etcd_->kv().get("/db/postgres/initialize");
  if (!init || init->value.empty()) return;  // bootstrapping: the fence is off by design
  auto leader = leader_key();
  for (int w : writers) {
    Node& n = node(w);
    if (leader == n.name) continue;
    if (!leader && n.proc) {
      // Racing for a free lock as a running primary: allowed while its fence is armed and the
      // lease it would take the lock on is alive (the fence stops writes before it can expire).
      auto lease = n.proc->store->current_lease();
      if (n.proc->fencer->fence().armed && lease && etcd_->kv().lease_exists(*lease)) continue;
    }
    violate("writable_primary_holds_lease",
            n.name + " accepts writes but the leader key is " + leader.value_or("absent") +
                (n.proc ? (n.proc->fencer->fence().armed ? " (fence armed)" : " (fence disarmed)")
                        : " (agent not running)"));
  }
}

void World::check_timelines(const std::vector<int>& writers) {
  for (auto& np : nodes_) {
    Node& n = *np;
    const fakes::FakeServer& s = n.pg->server();
    if (!s.data_valid || s.corrupt || s.system_identifier != n.timeline_sysid) {
      n.max_timeline = 0;
      n.timeline_sysid = s.data_valid && !s.corrupt ? s.system_identifier : std::string();
    }
    if (!s.data_valid || s.corrupt) continue;
    if (!s.running || !s.accepting) continue;
    if (s.timeline < n.max_timeline) {
      violate("timeline_monotonic", n.name + " runs on timeline " + std::to_string(s.timeline) +
                                        " after timeline " + std::to_string(n.max_timeline));
    }
    n.max_timeline = std::max(n.max_timeline, s.timeline);
  }
  for (int w : writers) {
    Node& n = node(w);
    if (n.writable) continue;  // the same term goes on
    std::int64_t tl = n.pg->server().timeline;
    if (last_term_) {
      bool same = last_term_->node == w;
      if ((same && tl < last_term_->timeline) || (!same && tl <= last_term_->timeline)) {
        violate("timeline_monotonic",
                n.name + " became a primary on timeline " + std::to_string(tl) + " after " +
                    node(last_term_->node).name + "'s term on timeline " +
                    std::to_string(last_term_->timeline) + " (a fork of the history)");
      }
    }
    check_sync_durability(n);
    last_term_ = Term{w, tl, time_.now};
    probe("primary_term_started");
  }
}

void World::check_sync_durability(const Node& primary) {
  // In synchronous mode no acknowledged write may be lost: every row acknowledged while the mode
  // was on (and it stayed on since) must be on whichever primary starts a new term.
  if (sync_acks_.empty()) return;
  if (dynamic_config().value("synchronous_mode", false) != true) {
    sync_acks_.clear();
    return;
  }
  probe("sync_durability_checked");
  std::set<std::string> kept;
  for (const auto& [lsn, payload] : primary.pg->server().rows) kept.insert(payload);
  long lost = 0;
  const SyncAck* first = nullptr;
  for (const auto& a : sync_acks_) {
    if (kept.count(a.id)) continue;
    if (!first) first = &a;
    ++lost;
  }
  if (lost == 0) return;
  violate("sync_no_acked_write_lost",
          primary.name + " became a primary without " + std::to_string(lost) +
              " write(s) acknowledged in synchronous mode, the first " + first->id + " by " +
              node(first->node).name + " at " + std::to_string(first->at / 1000.0) + " s");
}

void World::check_followers() {
  // Maintenance mode: no automatic action, replicas included.
  if (paused()) {
    for (auto& n : nodes_) n->wrong_upstream_since.reset();
    return;
  }
  Ms bound = shape_.loop_wait * kSecond + 2 * kSecond;
  std::string truth = leader_key().value_or("");
  for (auto& np : nodes_) {
    Node& n = *np;
    const fakes::FakeServer& s = n.pg->server();
    // The clock runs only while the agent can act on what it learned: its last cycle read etcd
    // and got an answer from its PostgreSQL (a replica whose status query times out, or whose
    // agent cannot read etcd, is not repointed by anyone, by design: seeds 69, 326, 847).
    bool can_act = n.last_reason != ha::Reason::kPostgresNotReady && !n.last_cycle_without_etcd;
    bool applicable = n.proc && agent_runnable(n) && !n.proc->jobs->running() && n.seen_leader &&
                      *n.seen_leader != n.name && s.running && s.accepting && s.in_recovery &&
                      s.upstream && can_act;
    int upstream = -1;
    if (applicable) {
      auto colon = s.upstream->rfind(':');
      upstream = node_by_address(s.upstream->substr(0, colon), std::atoi(s.upstream->c_str() + colon + 1));
    }
    // Streaming from the leader etcd names now is right even before the cycle that learned it
    // has finished (the world hears of what an agent learned when its cycle ends; seed 923).
    bool follows = upstream >= 0 && (node(upstream).name == *n.seen_leader || node(upstream).name == truth);
    if (!applicable || follows) {
      n.wrong_upstream_since.reset();
      continue;
    }
    if (!n.wrong_upstream_since) n.wrong_upstream_since = time_.now;
    // A cycle in progress is waiting in a call (etcd, a peer): whether the agent could act is
    // known when it ends. One that then read etcd is judged on the whole wait; one that could not
    // (no quorum, lost replies: up to 2 x retry_timeout in etcd calls) stops the clock like any
    // cycle without etcd. Judging it mid-wait blamed an agent blocked in etcd for not repointing
    // a replica that a job had just started towards the former leader (seeds 4539, 9543).
    if (n.thread->busy()) continue;
    Ms since = std::max(*n.wrong_upstream_since, n.seen_leader_since);
    if (time_.now - since > bound) {
      violate("replica_follows_leader",
              n.name + " streams from " + (upstream >= 0 ? node(upstream).name : *s.upstream) +
                  " although it learned " + std::to_string((time_.now - n.seen_leader_since) / kSecond) +
                  " s ago that " + *n.seen_leader + " leads");
      n.wrong_upstream_since = time_.now;  // report again only after another full bound
    }
  }
}

void World::check_busy(Node& n) {
  n.recent_cycles.push_back(time_.now);
  while (!n.recent_cycles.empty() && n.recent_cycles.front() < time_.now - kSecond) n.recent_cycles.pop_front();
  if (n.recent_cycles.size() > kBusyCyclesPerSecond && !n.busy_reported) {
    n.busy_reported = true;
    violate("no_busy_loop", n.name + " ran more than " + std::to_string(kBusyCyclesPerSecond) +
                                " cycles within one virtual second");
  }
}

bool World::converged(const std::vector<int>& writers) {
  if (writers.size() != 1) return false;
  auto leader = leader_key();
  return leader && *leader == node(writers[0]).name;
}

bool World::fully_healthy() {
  auto writers = writable_nodes();
  if (!converged(writers)) return false;
  const Node& lead = node(writers[0]);
  const fakes::FakeServer& l = lead.pg->server();
  std::string address = lead.host + ":" + std::to_string(lead.pg_port);
  for (const auto& n : nodes_) {
    if (n->index == lead.index) continue;
    const fakes::FakeServer& s = n->pg->server();
    if (!n->proc || !s.running || !s.accepting || !s.in_recovery || s.upstream != address ||
        s.lsn != l.lsn || s.timeline != l.timeline) {
      return false;
    }
  }
  return true;
}

void World::check_convergence(const std::vector<int>& writers) {
  if (phase_ != Phase::kHealing) return;
  if (!converged_at_ && converged(writers)) {
    converged_at_ = time_.now;
    note("check", "exactly one primary (" + node(writers[0]).name + ") " +
                      std::to_string((time_.now - phase_since_) / kSecond) + " s after the heal");
  }
  if (!converged_at_ && time_.now - phase_since_ > heal_bound_) {
    converged_at_ = time_.now;  // decide once
    if (auto why = no_member_may_lead()) {
      heal_exempt_ = true;
      probe("heal_exempt_" + *why);
      note("check", "no primary after the heal, by design: " + *why);
      return;
    }
    std::string state = "writable:";
    for (int w : writers) state += " " + node(w).name;
    violate("heals_to_one_primary", "no single primary holding the lock " +
                                        std::to_string(heal_bound_ / kSecond) +
                                        " s after every fault healed (" + state +
                                        "; leader key " + leader_key().value_or("absent") + ")");
  }
}

// The two situations where no primary after the heal is correct (docs/simulation.md), read from
// the world's true state (etcd's keys, each node's disk), named after the probe that counts them:
// - sync_candidates_without_data: synchronous mode is on and every member that /sync lets lead
//   (its leader and the standbys it lists, not nofailover) lost its data directory. Any other
//   member may lack acknowledged commits, so it must not take over (not_synchronous_standby, as in
//   Patroni), and without a leader nobody can clone.
// - candidates_too_far_behind: every member that may lead and still has its data lags more than
//   maximum_lag_on_failover behind /status's optime (the members that were closer lost their
//   data): an asynchronous failover would lose more than the operator allows (too_far_behind).
//   A member on an older timeline than another member that may lead and has its data is not a
//   candidate either: it must not take over from that member's history (stale_timeline), and
//   its LSN says nothing about how much of that history it has (seed 4525: node2 on timeline 4
//   lagged 1.3 MB, node3 on timeline 2 was close to /status's optime by number only).
std::optional<std::string> World::no_member_may_lead() {
  auto init = etcd_->kv().get("/db/postgres/initialize");
  if (!init) return std::nullopt;
  std::optional<model::SyncState> sync;
  if (dynamic_config().value("synchronous_mode", false) == true) {
    if (auto sync_kv = etcd_->kv().get("/db/postgres/sync")) {
      auto decoded = dcs::decode_sync(sync_kv->value);
      if (decoded.ok() && decoded->leader) sync = *decoded;
    }
  }
  std::uint64_t optime = 0;
  if (auto status = etcd_->kv().get("/db/postgres/status")) {
    auto json = nlohmann::json::parse(status->value, nullptr, false);
    if (json.is_object() && json["optime"].is_number_unsigned()) optime = json["optime"].get<std::uint64_t>();
  }
  auto max_lag = dynamic_config().value("maximum_lag_on_failover", std::uint64_t{1048576});
  auto has_data = [&](const fakes::FakeServer& s) {
    return s.data_valid && !s.corrupt && s.system_identifier == init->value;
  };
  std::int64_t newest_timeline = 0;
  for (const auto& n : nodes_) {
    const fakes::FakeServer& s = n->pg->server();
    if (n->index != shape_.nofailover && has_data(s)) newest_timeline = std::max(newest_timeline, s.timeline);
  }
  bool any_with_data = false;
  for (const auto& n : nodes_) {
    model::MemberName name(n->name);
    if (n->index == shape_.nofailover) continue;
    if (sync && *sync->leader != name && !sync->lists(name)) continue;
    const fakes::FakeServer& s = n->pg->server();
    if (!has_data(s)) continue;
    any_with_data = true;
    if (s.timeline < newest_timeline) continue;
    if (optime <= s.lsn || optime - s.lsn <= max_lag) return std::nullopt;
  }
  if (!any_with_data) return sync ? std::optional<std::string>("sync_candidates_without_data") : std::nullopt;
  return "candidates_too_far_behind";
}

}  // namespace pghalo::sim
