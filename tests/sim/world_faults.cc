// World: the fault menu (docs/simulation.md), the seeded generator that picks from it during the
// chaos phase, and the final heal.
#include "common/log.h"
#include "world.h"

namespace pghalo::sim {
namespace {

constexpr std::size_t kMaxActiveFaults = 4;

Ms between(Random& r, Ms lo, Ms hi) {
  return static_cast<Ms>(r.uniform(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi)));
}

std::string secs(Ms d) { return std::to_string(d / kSecond) + "." + std::to_string(d % kSecond / 100) + " s"; }

}  // namespace

void World::add_fault(Ms duration, std::string label, std::function<void()> heal) {
  note("fault", label + " for " + secs(duration));
  faults_.push_back(ActiveFault{time_.now + duration, std::move(label), std::move(heal)});
}

// ---- processes and hosts ---------------------------------------------------------------------

void World::kill_agent(Node& n, Ms downtime, bool job_survives) {
  if (!n.proc) return;
  unwind_task(n);
  note("fault", "SIGKILL " + n.name + "'s agent (PostgreSQL keeps running); systemd restarts it in " + secs(downtime));
  probe("agent_killed");
  end_process(n, downtime, job_survives);
}

void World::kill_host(Node& n, Ms downtime) {
  note("fault", n.name + "'s host crashes (agent and PostgreSQL die); back in " + secs(downtime));
  probe("host_crashed");
  n.pg->crash();
  unwind_task(n);
  // The job's child dies with the host, and so does any child an earlier agent process left
  // running there (seeds 1953, 2433, 5010, 9573: an orphaned start completed after the crash and
  // brought up a primary on a host that was down).
  end_process(n, downtime, false);
  std::erase_if(orphans_, [&n](const Orphan& o) { return o.node == &n; });
  n.host_down = true;
  n.restart_at = time_.now + downtime;
  n.fence_file = ha::Fence::disarmed();  // a new boot id: the record no longer counts
}

void World::sigterm_agent(Node& n, Ms downtime) {
  if (!n.proc || n.stopping) return;
  const fakes::FakeServer& s = n.pg->server();
  if (paused() && s.running && !s.in_recovery) {
    // A paused agent's shutdown leaves its primary running and the leader key to expire (as
    // Patroni's does): out of the model unless systemd brings it back before the key can expire,
    // as for a SIGKILL (a resume meanwhile would leave an unsupervised primary; seeds 261, 403).
    Ms ttl = std::min<Ms>(shape_.ttl, dynamic_config().value("ttl", shape_.ttl));
    Ms safe = std::max<Ms>(1000, (ttl - shape_.loop_wait) * kSecond - 3000);
    downtime = std::min(downtime, safe);
  }
  note("fault", "SIGTERM " + n.name + "'s agent; started again " + secs(downtime) + " after it stops");
  probe("agent_sigterm");
  n.stopping = true;
  n.stop_downtime = downtime;
}

void World::freeze_host(Node& n, Ms duration) {
  if (n.frozen_until || n.host_down) return;
  n.loop_first_on_thaw = random_.chance(0.4);
  note("fault", "freeze " + n.name + "'s host (agent, fencer, PostgreSQL) for " + secs(duration) +
                    (n.loop_first_on_thaw ? "; on resume the loop runs before the fencer" : ""));
  probe(duration > shape_.ttl * kSecond ? "host_frozen_longer_than_ttl" : "host_frozen");
  n.frozen_until = time_.now + duration;
  n.pg->server().frozen = true;
  if (n.proc) n.proc->jobs->postpone(duration);
}

void World::stall_loop(Node& n, Ms duration) {
  if (!n.proc || n.stalled_until) return;
  note("fault", "block " + n.name + "'s HA loop for " + secs(duration) + " (fencer and REST go on)");
  probe(duration > shape_.ttl * kSecond ? "loop_stalled_longer_than_ttl" : "loop_stalled");
  n.stalled_until = time_.now + duration;
}

void World::post_command(Node& n, model::CommandBody body, std::string what) {
  if (!n.proc) return;
  model::Command command;
  command.body = std::move(body);
  auto reply = command.reply->get_future();
  if (!n.proc->agent->post(std::move(command))) return;
  note("operator", what + " via " + n.name + "'s REST API");
  n.replies.emplace_back(what, std::move(reply));
  wake(n);
}

void World::fault_process(Node& n) {
  Random& r = random_;
  Ms ttl = shape_.ttl * kSecond;
  switch (r.uniform(0, 5)) {
    case 0:
    case 1: {
      if (!n.proc) return;
      Ms downtime = between(r, 1000, 60000);
      const fakes::FakeServer& s = n.pg->server();
      auto job = n.proc->jobs->running();
      if ((s.running && !s.in_recovery) || (job && job->may_write)) {
        // Out of the model: an unsupervised primary outliving its lease (needs a watchdog).
        // systemd brings the agent back before its fence would have fired. A frozen host's
        // primary counts too: it accepts writes again the moment the host resumes (seed 168);
        // so does one that a promote or a start as primary is bringing up, since that job's
        // child may outlive the agent and complete (seeds 1205, 1212, 2308, 2541, 2732, ...).
        const ha::Fence& f = n.proc->fencer->fence();
        Ms left = f.armed ? n.clock.global_when(f.writable_until) - time_.now : 0;
        if (left < 2500 || n.link.mode != EtcdLink::Mode::kUp || n.link.delay_max > 0) {
          kill_host(n, between(r, 5000, 90000));
          return;
        }
        downtime = between(r, 500, std::min<Ms>(left - 2000, 15000));
      }
      kill_agent(n, downtime, r.chance(0.5));
      return;
    }
    case 2: kill_host(n, between(r, 3000, 120000)); return;
    case 3: sigterm_agent(n, between(r, 1000, 60000)); return;
    case 4: freeze_host(n, between(r, 500, 3 * ttl)); return;
    default: stall_loop(n, between(r, 1000, 2 * ttl)); return;
  }
}

// ---- network and etcd ------------------------------------------------------------------------

void World::fault_etcd_link(Node& n) {
  Random& r = random_;
  Ms d = between(r, 2000, 90000);
  EtcdLink& link = n.link;
  switch (r.uniform(0, 6)) {
    case 0:
    case 1:
      link.mode = EtcdLink::Mode::kDown;
      add_fault(d, "partition " + n.name + " from etcd", [&link] { link.mode = EtcdLink::Mode::kUp; });
      return;
    case 2:
      link.mode = EtcdLink::Mode::kRequestsLost;
      add_fault(d, "one-way partition " + n.name + " -> etcd", [&link] { link.mode = EtcdLink::Mode::kUp; });
      return;
    case 3:
      link.mode = EtcdLink::Mode::kRepliesLost;
      add_fault(d, "one-way partition etcd -> " + n.name + " (replies lost)", [&link] { link.mode = EtcdLink::Mode::kUp; });
      return;
    case 4: {
      auto m = static_cast<std::size_t>(r.uniform(0, kEtcdMembers - 1));
      link.member_cut[m] = true;
      bool two = r.chance(0.4);
      auto m2 = (m + 1) % kEtcdMembers;
      if (two) link.member_cut[m2] = true;
      add_fault(d, "cut " + n.name + " from etcd member " + std::to_string(m) + (two ? " and " + std::to_string(m2) : ""),
                [&link, m, m2, two] {
                  link.member_cut[m] = false;
                  if (two) link.member_cut[m2] = false;
                });
      return;
    }
    case 5: {
      static constexpr Ms kDelays[] = {300, 2000, 6000, 12000};
      link.delay_max = kDelays[r.uniform(0, std::size(kDelays) - 1)];
      add_fault(d, "delay " + n.name + "'s etcd messages by up to " + secs(link.delay_max), [&link] { link.delay_max = 0; });
      return;
    }
    default:
      link.lost_reply_percent = static_cast<int>(r.uniform(10, 60));
      add_fault(d, "lose " + std::to_string(link.lost_reply_percent) + "% of etcd replies to " + n.name,
                [&link] { link.lost_reply_percent = 0; });
      return;
  }
}

void World::fault_peer_link() {
  if (shape_.nodes < 2) return;
  Random& r = random_;
  int a = static_cast<int>(r.uniform(0, static_cast<std::uint64_t>(shape_.nodes - 1)));
  int b = static_cast<int>((a + r.uniform(1, static_cast<std::uint64_t>(shape_.nodes - 1))) % static_cast<std::uint64_t>(shape_.nodes));
  bool both = r.chance(0.6);
  set_peer_cut(a, b, true);
  if (both) set_peer_cut(b, a, true);
  add_fault(between(r, 2000, 90000),
            "partition " + node(a).name + (both ? " <-> " : " -> ") + node(b).name,
            [this, a, b, both] {
              set_peer_cut(a, b, false);
              if (both) set_peer_cut(b, a, false);
            });
}

void World::fault_isolate(Node& n) {
  n.link.mode = EtcdLink::Mode::kDown;
  for (int o = 0; o < shape_.nodes; ++o) {
    if (o == n.index) continue;
    set_peer_cut(n.index, o, true);
    set_peer_cut(o, n.index, true);
  }
  int i = n.index;
  add_fault(between(random_, 2000, 120000), "isolate " + n.name + " from etcd and every peer", [this, i] {
    node(i).link.mode = EtcdLink::Mode::kUp;
    for (int o = 0; o < shape_.nodes; ++o) {
      if (o == i) continue;
      set_peer_cut(i, o, false);
      set_peer_cut(o, i, false);
    }
  });
}

void World::fault_etcd_members() {
  Random& r = random_;
  bool quorum_loss = r.chance(0.4);
  int first = r.chance(0.5) && etcd_->leader() >= 0 ? etcd_->leader() : static_cast<int>(r.uniform(0, kEtcdMembers - 1));
  if (!etcd_->member_up(first)) return;
  int second = (first + 1) % kEtcdMembers;
  etcd_->set_member_up(first, false);
  if (quorum_loss) etcd_->set_member_up(second, false);
  Ms d = quorum_loss ? between(r, 1000, 60000) : between(r, 2000, 120000);
  add_fault(d, quorum_loss ? "etcd quorum loss (members " + std::to_string(first) + " and " + std::to_string(second) + " down)"
                           : "etcd member " + std::to_string(first) + " down",
            [this, first, second, quorum_loss] {
              etcd_->set_member_up(first, true);
              if (quorum_loss) etcd_->set_member_up(second, true);
            });
}

// ---- PostgreSQL, clocks, disks ---------------------------------------------------------------

void World::fault_postgres(Node& n) {
  Random& r = random_;
  switch (r.uniform(0, 2)) {
    case 0:
      if (!n.pg->server().running) return;
      note("fault", n.name + "'s postmaster crashes");
      probe("postgres_crashed");
      n.pg->crash();
      return;
    case 1: {
      if (!n.pg->server().running) return;
      Ms d = between(r, 1000, 20000);
      note("fault", n.name + ": a backend crashed; crash recovery for " + secs(d));
      probe("postgres_crash_recovery");
      n.pg->crash_recovery(d);
      return;
    }
    default:
      n.replication_stalled = true;
      add_fault(between(r, 5000, 90000), "stall WAL streaming to " + n.name, [&n] { n.replication_stalled = false; });
      return;
  }
}

void World::fault_clock(Node& n) {
  Random& r = random_;
  switch (r.uniform(0, 2)) {
    case 0: {
      // Within the fencing margin's assumption: rates off by less than ttl/10 (docs).
      std::int64_t off = static_cast<std::int64_t>(r.uniform(0, 50000));
      std::int64_t ppm = kPpm + (r.chance(0.5) ? off : -off);
      n.clock.set_rate(ppm);
      add_fault(between(r, 30000, 300000), n.name + "'s clock runs at " + std::to_string(ppm) + " ppm",
                [&n] { n.clock.set_rate(kPpm); });
      return;
    }
    case 1: {
      Ms jump = between(r, 1000, 45000);
      note("fault", n.name + "'s monotonic clock jumps " + secs(jump) + " forward");
      probe("clock_jump_monotonic");
      n.clock.jump(jump);
      return;
    }
    default: {
      Ms jump = between(r, 1000, 3600000) * (r.chance(0.5) ? 1 : -1);
      note("fault", n.name + "'s wall clock is stepped by " + std::to_string(jump / kSecond) + " s");
      probe("clock_jump_wall");
      n.clock.jump_wall(jump);
      return;
    }
  }
}

bool World::another_candidate_has_data(const Node& n) const {
  for (const auto& o : nodes_) {
    if (o->index == n.index || o->index == shape_.nofailover) continue;
    const fakes::FakeServer& s = o->pg->server();
    if (s.data_valid && !s.corrupt && s.system_identifier == n.pg->server().system_identifier) return true;
  }
  return false;
}

void World::fault_disk(Node& n) {
  Random& r = random_;
  std::uint64_t kind = r.uniform(0, 9);
  if (kind < 6) {
    n.pg->set_slow_disk(true);
    add_fault(between(r, 10000, 120000), n.name + "'s disk is slow", [&n] { n.pg->set_slow_disk(false); });
    return;
  }
  // Losing or swapping a data directory takes the host down, and only where another member
  // could still lead: losing every copy is not something failover can repair.
  if (!n.pg->server().data_valid || !another_candidate_has_data(n)) return;
  kill_host(n, between(r, 5000, 60000));
  if (kind < 8) {
    note("fault", n.name + "'s disk is replaced: the data directory is gone");
    probe("data_directory_lost");
    n.pg->lose_data_directory();
    return;
  }
  SimPostgres* pg = n.pg.get();
  auto wipe = [pg] { pg->lose_data_directory(); };
  if (kind == 8) {
    probe("data_directory_corrupted");
    n.pg->corrupt_data_directory();
    add_fault(between(r, 20000, 120000), n.name + "'s data directory is corrupt (until the operator wipes it)", wipe);
  } else {
    probe("data_directory_foreign");
    n.pg->foreign_data_directory(pg_world_.new_system_identifier());
    add_fault(between(r, 20000, 120000), n.name + " holds another cluster's data directory (until the operator wipes it)", wipe);
  }
}

// ---- operators -------------------------------------------------------------------------------

void World::operator_switchover(bool failover) {
  std::vector<Node*> alive;
  for (auto& n : nodes_) {
    if (n->proc && agent_runnable(*n)) alive.push_back(n.get());
  }
  if (alive.empty()) return;
  Node& via = *alive[random_.uniform(0, alive.size() - 1)];
  model::SwitchoverCommand c;
  c.is_failover = failover;
  auto leader = leader_key();
  Node& candidate = node(static_cast<int>(random_.uniform(0, static_cast<std::uint64_t>(shape_.nodes - 1))));
  if (!failover && leader) c.leader = model::MemberName(*leader);
  if (failover || random_.chance(0.6)) c.candidate = model::MemberName(candidate.name);
  if (!failover && random_.chance(0.25)) {
    c.scheduled_at = via.clock.wall_now() + std::chrono::seconds(random_.uniform(5, 60));
  }
  std::string what = std::string(failover ? "failover" : "switchover") +
                     (c.leader ? " from " + c.leader->value : "") +
                     (c.candidate ? " to " + c.candidate->value : "") + (c.scheduled_at ? " (scheduled)" : "");
  probe(failover ? "operator_failover" : "operator_switchover");
  post_command(via, c, what);
}

void World::operator_direct_failover_key() {
  // patronictl-era clients and hand-made requests write /failover themselves.
  auto leader = leader_key().value_or("node1");
  std::string value;
  switch (random_.uniform(0, 3)) {
    case 0: value = R"({"leader":"nodeX","member":"node1"})"; break;
    case 1: value = R"({"member":")" + leader + R"("})"; break;
    case 2: value = R"({"leader":")" + leader + R"(","scheduled_at":"not a time"})"; break;
    default: value = R"({"leader":")" + leader + R"(","scheduled_at":"2020-01-01T00:00:00+00:00"})"; break;
  }
  note("operator", "writes /failover directly: " + value);
  probe("operator_direct_failover_key");
  etcd_->kv().put_direct("/db/postgres/failover", value);
}

void World::operator_config(const nlohmann::json& patch, const std::string& what) {
  for (auto& n : nodes_) {
    if (n->proc && agent_runnable(*n)) {
      post_command(*n, model::PatchConfigCommand{patch}, what);
      return;
    }
  }
}

void World::fault_operator() {
  Random& r = random_;
  if (shape_.synchronous > 0 && r.chance(0.08)) {
    // The leader must drop /sync and synchronous_standby_names, and set them up again after.
    probe("operator_synchronous_mode_off");
    operator_config({{"synchronous_mode", false}}, "turn synchronous mode off");
    add_fault(between(r, 10000, 90000), "synchronous mode off", [this] {
      operator_config({{"synchronous_mode", true}}, "turn synchronous mode back on");
    });
    return;
  }
  switch (r.uniform(0, 7)) {
    case 0:
    case 1:
    case 2: operator_switchover(false); return;
    case 3: operator_switchover(true); return;
    case 4: operator_direct_failover_key(); return;
    case 5:
    case 6:
      probe("operator_pause");
      operator_config({{"pause", true}}, "pause");
      add_fault(between(r, 10000, 120000), "maintenance mode", [this] {
        probe("operator_resume");
        operator_config({{"pause", false}}, "resume");
      });
      return;
    default: {
      int ttl = shape_.ttl + 5;
      probe("operator_ttl_change");
      operator_config({{"ttl", ttl}}, "set ttl to " + std::to_string(ttl));
      add_fault(between(r, 20000, 120000), "ttl " + std::to_string(ttl),
                [this] { operator_config({{"ttl", shape_.ttl}}, "set ttl back to " + std::to_string(shape_.ttl)); });
      return;
    }
  }
}

void World::inject_fault() {
  Random& r = random_;
  Node& n = node(static_cast<int>(r.uniform(0, static_cast<std::uint64_t>(shape_.nodes - 1))));
  std::uint64_t roll = r.uniform(0, 99);
  if (faults_.size() >= kMaxActiveFaults && roll >= 14) return;  // busy enough: operators only
  if (roll < 14) return fault_operator();
  if (roll < 30) return fault_etcd_link(n);
  if (roll < 38) return fault_peer_link();
  if (roll < 43) return fault_isolate(n);
  if (roll < 50) return fault_etcd_members();
  if (roll < 68) return fault_process(n);
  if (roll < 80) return fault_postgres(n);
  if (roll < 87) return fault_clock(n);
  if (roll < 95) return fault_disk(n);
  auto rev = etcd_->kv().revision();
  etcd_->kv().compact(rev);
  probe("etcd_compaction");
  note("fault", "etcd compacts its history up to revision " + std::to_string(rev.value));
}

void World::heal_everything() {
  while (!faults_.empty()) {
    ActiveFault f = std::move(faults_.front());
    faults_.erase(faults_.begin());
    note("fault", "healed: " + f.label);
    f.heal();
  }
  for (auto& np : nodes_) {
    Node& n = *np;
    if (n.frozen_until) thaw(n);
    n.stalled_until.reset();
    if (!n.proc && !n.stopping) n.restart_at = time_.now;
    n.link = EtcdLink{};
    n.replication_stalled = false;
    n.pg->set_slow_disk(false);
    n.clock.set_rate(kPpm);
  }
  for (int m = 0; m < kEtcdMembers; ++m) {
    if (!etcd_->member_up(m)) etcd_->set_member_up(m, true);
  }
  for (auto& row : cut_) std::fill(row.begin(), row.end(), 0);
  if (paused()) resume_directly("resumes automatic failover (pause: false)");
}

void World::resume_directly(const std::string& why) {
  // The operator resumes (as etcdctl would): liveness is not expected in maintenance mode.
  auto kv = etcd_->kv().get("/db/postgres/config");
  auto json = nlohmann::json::parse(kv->value, nullptr, false);
  json["pause"] = false;
  etcd_->kv().put_direct("/db/postgres/config", json.dump());
  note("operator", why);
}


}  // namespace pghalo::sim
