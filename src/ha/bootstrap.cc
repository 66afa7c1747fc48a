// Situations: an empty data directory (spec 2.4) — race to bootstrap a new cluster, wait for the
// member that won, or clone from the leader — and the bootstrap winner's follow-up once initdb is
// done (publish the system identifier, the dynamic config and the leader key).
#include "ha/context.h"

namespace pghalo::ha {
namespace {

constexpr Duration kCloneRetryBase = std::chrono::seconds(5);
constexpr Duration kCloneRetryMax = std::chrono::seconds(60);

// A running member tagged clonefrom (not us, not the leader), else the leader (spec 2.4).
std::optional<MemberName> clone_source(const Ctx& ctx, const MemberName& leader) {
  for (const auto& [name, m] : ctx.cluster().members) {
    if (name == ctx.cfg.name || name == leader) continue;
    if (m.tags.clonefrom && m.is_running() && !m.conn_url.empty()) return name;
  }
  const model::Member* lm = ctx.member(leader);
  if (lm && lm->is_running() && !lm->conn_url.empty()) return leader;
  return std::nullopt;
}

Decision clone_from_leader(const Ctx& ctx, const MemberName& leader) {
  if (ctx.obs.job_finished && ctx.obs.job_finished->kind == JobKind::kClone &&
      !ctx.obs.job_finished->succeeded) {
    Decision d = ctx.make(Reason::kCloneBackoff, "clone failed: " + ctx.obs.job_finished->detail);
    int failures = ctx.mem.clone_failures + 1;
    Duration delay = kCloneRetryBase * (1 << std::min(failures - 1, 4));
    d.memory.clone_failures = failures;
    d.memory.next_clone_at = ctx.obs.now + std::min(delay, kCloneRetryMax);
    d.wake_in = std::min(delay, kCloneRetryMax);
    return d;
  }
  if (ctx.obs.now < ctx.mem.next_clone_at) {
    Decision d = ctx.make(Reason::kCloneBackoff);
    d.wake_in = std::chrono::duration_cast<Duration>(ctx.mem.next_clone_at - ctx.obs.now);
    return d;
  }
  auto source = clone_source(ctx, leader);
  if (!source) {
    return ctx.make(Reason::kWaitingForLeaderToClone,
                    "waiting for the leader " + leader.value + " to be running before cloning");
  }
  Reason reason = *source == leader ? Reason::kCloningFromLeader : Reason::kCloningFromMember;
  Decision d = ctx.make(reason, "cloning from " + source->value);
  d.actions.push_back(Clone{*source});
  d.memory.following = leader;
  return d;
}

}  // namespace

Decision decide_uninitialized(const Ctx& ctx) {
  if (ctx.obs.pg.data_dir == model::DataDirState::kInvalid) {
    Decision d = ctx.make(Reason::kDataDirectoryInvalid,
                          "the data directory is neither empty nor a valid PostgreSQL data "
                          "directory; fix it or reinitialize this member");
    if (ctx.holds_lock()) d.actions.push_back(ReleaseLeader{});
    return d;
  }
  if (ctx.holds_lock()) {
    Decision d = ctx.make(Reason::kReleasingLockWithoutData);
    d.actions.push_back(ReleaseLeader{});
    d.wake_in = Duration(0);
    return d;
  }
  if (ctx.cfg.paused) return ctx.make(Reason::kUninitializedPaused);
  const auto& cluster = ctx.cluster();
  if (cluster.leader) return clone_from_leader(ctx, cluster.leader->name);
  if (!cluster.initialize && ctx.cfg.may_bootstrap && ctx.cfg.tags.can_failover()) {
    Decision d = ctx.make(Reason::kRacingToBootstrap);
    d.actions.push_back(RaceInitialize{});
    d.wake_in = Duration(0);
    return d;
  }
  return ctx.make(Reason::kWaitingForLeaderToBootstrap);
}

Decision decide_bootstrapping(const Ctx& ctx) {
  const auto& finished = ctx.obs.job_finished;
  if (finished && finished->kind == JobKind::kBootstrap && !finished->succeeded) {
    std::string why = "bootstrap failed: " + finished->detail;
    Decision d = ctx.make(Reason::kBootstrapFailed, why);
    d.actions.push_back(DeleteInitialize{});
    d.actions.push_back(Fatal{why});
    return d;
  }
  const auto& pg = ctx.obs.pg;
  if (pg.data_dir != model::DataDirState::kValid || !pg.is_primary()) {
    if (pg.data_dir == model::DataDirState::kValid && pg.running()) {
      return ctx.make(Reason::kBootstrapInProgress, "waiting for the new cluster to accept writes");
    }
    Decision d = ctx.make(Reason::kBootstrapStarting);
    d.actions.push_back(Bootstrap{});
    return d;
  }
  Decision d = ctx.make(Reason::kBootstrapFinished);
  d.actions.push_back(SetInitialize{pg.control ? pg.control->system_identifier : std::string()});
  d.actions.push_back(PublishBootstrapConfig{});
  d.actions.push_back(TakeLeaderAfterBootstrap{});
  d.memory.following.reset();
  d.wake_in = Duration(0);
  return d;
}

}  // namespace pghalo::ha
