#include "ha/decide.h"

#include "ha/context.h"

namespace pghalo::ha {
namespace {

// The system identifier in `initialize` belongs to another cluster than our data directory.
std::optional<Decision> check_identity(const Ctx& ctx) {
  const auto& init = ctx.cluster().initialize;
  if (!ctx.obs.pg.control || !init || init->empty()) return std::nullopt;
  const std::string& ours = ctx.obs.pg.control->system_identifier;
  if (ours.empty() || *init == ours) return std::nullopt;
  std::string why = "the data directory has system identifier " + ours +
                    " but the cluster's initialize key holds " + *init +
                    "; remove the cluster from etcd (pghaloctl remove) or use another scope";
  Decision d = ctx.make(Reason::kSystemIdMismatch, why);
  if (ctx.cfg.paused) {
    if (ctx.holds_lock()) d.actions.push_back(ReleaseLeader{});
    return d;
  }
  d.actions.push_back(Fatal{why});
  return d;
}

Decision choose(const Ctx& ctx) {
  if (!ctx.has_cluster()) return decide_dcs_unavailable(ctx);
  if (ctx.obs.job) return decide_job_in_progress(ctx);
  if (ctx.obs.won_initialize) return decide_bootstrapping(ctx);
  if (ctx.obs.pg.data_dir != model::DataDirState::kValid) return decide_uninitialized(ctx);
  if (auto mismatch = check_identity(ctx)) return *mismatch;

  Decision d = [&] {
    if (!ctx.obs.pg.running()) return decide_postgres_down(ctx);
    if (!ctx.obs.pg.accepting_connections) {
      Decision waiting = ctx.make(Reason::kPostgresNotReady, ctx.obs.pg.query_error);
      if (ctx.holds_lock() && !ctx.lock_on_our_lease()) waiting.actions.push_back(RefreshLeader{});
      return waiting;
    }
    if (ctx.cfg.paused) return decide_paused(ctx);
    if (!ctx.cluster().has_leader()) return decide_leader_race(ctx);
    if (ctx.holds_lock()) return decide_leading(ctx);
    return decide_following(ctx);
  }();

  // A cluster with data but no `initialize` key (it was deleted, or etcd was wiped): claim it
  // with our system identifier so that members from another cluster are recognised.
  const auto& control = ctx.obs.pg.control;
  if (!ctx.cluster().initialize && !ctx.cluster().has_leader() && !ctx.cfg.paused && control &&
      !control->system_identifier.empty()) {
    d.actions.insert(d.actions.begin(), SetInitialize{control->system_identifier});
  }
  return d;
}

// When this member first saw the current /failover request with nobody leading: the race lets a
// named candidate have ttl from then (leader_race.cc). Keyed by the key's revision, so a new
// request starts its own wait.
void remember_failover_request(const Ctx& ctx, Memory& memory) {
  const auto& cluster = ctx.cluster();
  if (!cluster.has_failover_request() || cluster.has_leader()) {
    memory.failover_seen.reset();
  } else if (!memory.failover_seen || memory.failover_seen->revision != cluster.failover_revision) {
    memory.failover_seen = Memory::SeenRequest{cluster.failover_revision, ctx.obs.now};
  }
}

}  // namespace

Decision decide(const Observation& observation, const Memory& memory, const HaConfig& config) {
  Ctx ctx(observation, memory, config);
  Decision decision = choose(ctx);
  if (ctx.has_cluster()) {
    // /failsafe as last read, plus every current member: the key may lag behind a member that
    // just joined, or not exist yet when etcd goes away right after failsafe_mode was enabled.
    auto& known = decision.memory.failsafe_members;
    known = ctx.cluster().failsafe.value_or(std::map<MemberName, std::string>{});
    for (const auto& [name, member] : ctx.cluster().members) {
      if (!member.api_url.empty()) known[name] = member.api_url;
    }
    remember_failover_request(ctx, decision.memory);
  }
  prepare_sync_for_start(ctx, decision);
  // A restarted agent does not know what synchronous_standby_names the running primary has, and
  // would write its files without any and reload: the primary would then acknowledge commits
  // that /sync's standbys never received (simulator seeds 391, 990: a paused leader's agent was
  // restarted; paused cycles do not manage synchronous replication). A leader that manages it
  // this cycle has set the memory already.
  if (!memory.sync_standby_names && !decision.memory.sync_standby_names) {
    decision.memory.sync_standby_names = assumed_sync_standby_names(observation, memory, config);
  }
  settle_published_state(ctx, decision);
  decision.fence = compute_fence(ctx, decision);
  // Until the key is on our lease the fence gives only the margin: confirm the move within it
  // (not at once: a refresh that fails fast must not spin the loop).
  if (decision.has<RefreshLeader>()) {
    Duration soon = config.fencing_margin / 2;
    if (!decision.wake_in || *decision.wake_in > soon) decision.wake_in = soon;
  }
  return decision;
}

}  // namespace pghalo::ha
