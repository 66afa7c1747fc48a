// Situation: a long action (clone, start, promote, rewind...) is running on the job runner.
// The loop keeps the lease alive meanwhile (the keepalive happens before every cycle); the only
// decision is to keep the leader key on the current lease. Losing the lock while a job may leave
// PostgreSQL writable is handled by the fence.
#include "ha/context.h"

namespace pghalo::ha {

Decision decide_job_in_progress(const Ctx& ctx) {
  const JobRunning& job = *ctx.obs.job;
  std::string detail = std::string(job_kind_name(job.kind)) + " in progress";
  if (job.kind == JobKind::kBootstrap) return ctx.make(Reason::kBootstrapInProgress, detail);
  if (ctx.holds_lock()) {
    Decision d = ctx.make(Reason::kJobInProgressAsLeader, detail);
    if (!ctx.lock_on_our_lease()) d.actions.push_back(RefreshLeader{});
    if (ctx.lock_on_our_lease()) d.memory.leader_lease = ctx.obs.lease;
    return d;
  }
  return ctx.make(Reason::kJobInProgress, detail);
}

}  // namespace pghalo::ha
