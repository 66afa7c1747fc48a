// What the member key says about PostgreSQL (spec 2.20): derived from the observation and the
// job that is running or about to start, so peers and patronictl see "creating replica",
// "starting", "stopped", "crashed" exactly when they happen.
#include "ha/context.h"

namespace pghalo::ha {
namespace {

std::optional<JobKind> starting_job(const Ctx& ctx, const Decision& d) {
  if (ctx.obs.job) return ctx.obs.job->kind;
  for (const auto& a : d.actions) {
    if (auto kind = job_of(a)) return kind;
  }
  return std::nullopt;
}

PgState state_during(JobKind kind, const Ctx& ctx) {
  switch (kind) {
    case JobKind::kBootstrap: return PgState::kInitializingNewCluster;
    case JobKind::kClone:
    case JobKind::kReinitialize: return PgState::kCreatingReplica;
    case JobKind::kStart:
    case JobKind::kRejoin: return PgState::kStarting;
    case JobKind::kStop: return PgState::kStopping;
    case JobKind::kRestart: return PgState::kRestarting;
    case JobKind::kPromote:
    case JobKind::kFollow:
      return ctx.obs.pg.accepting_connections ? PgState::kRunning : PgState::kStarting;
  }
  return PgState::kUnknown;
}

}  // namespace

void settle_published_state(const Ctx& ctx, Decision& d) {
  const auto& pg = ctx.obs.pg;
  Memory& m = d.memory;
  if (pg.accepting_connections) {
    m.was_primary = !pg.in_recovery;
  } else if (ctx.obs.job_finished && ctx.obs.job_finished->kind == JobKind::kPromote &&
             ctx.obs.job_finished->succeeded) {
    // The promotion ended with the server accepting writes, even if it has not answered this
    // agent since (a backend crash right after: crash recovery ends into a primary, which the
    // fence must cover; simulator seed 4411).
    m.was_primary = true;
  }
  if (m.was_primary) m.rejoin_pending = true;

  if (auto job = starting_job(ctx, d)) {
    m.state = state_during(*job, ctx);
    if (*job == JobKind::kPromote) {
      m.role = Role::kPromoted;
    } else if (*job == JobKind::kBootstrap || *job == JobKind::kClone ||
               *job == JobKind::kReinitialize) {
      m.role = Role::kUninitialized;
    } else if (pg.accepting_connections) {
      m.role = pg.in_recovery ? Role::kReplica : Role::kPrimary;
    }
    return;
  }
  if (pg.accepting_connections) {
    m.state = PgState::kRunning;
    m.role = pg.in_recovery ? Role::kReplica : Role::kPrimary;
    return;
  }
  if (pg.running()) {
    m.state = PgState::kStarting;
    return;
  }
  if (pg.data_dir != model::DataDirState::kValid) {
    m.state = PgState::kStopped;
    m.role = Role::kUninitialized;
    return;
  }
  // Stopped. It crashed if it was running and nobody asked it to stop, unless the cluster is
  // paused: then an operator may have stopped it by hand, and Patroni publishes "stopped".
  if (ctx.cfg.paused) {
    m.state = PgState::kStopped;
  } else if (ctx.mem.state == PgState::kRunning || ctx.mem.state == PgState::kStarting) {
    m.state = PgState::kCrashed;
  } else if (ctx.mem.state != PgState::kCrashed) {
    m.state = PgState::kStopped;
  }
  if (ctx.mem.was_primary && !ctx.holds_lock()) m.role = Role::kDemoted;
}

}  // namespace pghalo::ha
