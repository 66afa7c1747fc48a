// Agent::execute_job: turns a job action of a decision into a job on the runner, resolving
// member names to the member documents the job needs (their conninfo).
#include <type_traits>

#include "agent/agent.h"
#include "agent/history_plan.h"
#include "agent/jobs.h"
#include "common/log.h"
#include "dcs/codec.h"

namespace pghalo::agent {
namespace {

std::optional<model::Member> find_member(const ha::Observation& obs,
                                         const std::optional<model::MemberName>& name) {
  if (!name || !obs.cluster) return std::nullopt;
  const model::Member* m = obs.cluster->member(*name);
  if (!m) return std::nullopt;
  return *m;
}

// Before pg_ctl promote: /history gets the timeline this promotion ends, so that no later
// promotion reuses the new number even if we never write /history again (history_plan.h).
// Best effort: failing to write it must not stop the promotion.
void record_promotion(dcs::ClusterStore& store, const ha::Observation& obs, const std::string& name,
                      std::int64_t above_timeline) {
  if (!obs.cluster) return;
  std::int64_t tl = obs.pg.timeline.value;
  auto entries = history_before_promotion(obs.cluster->history, tl, obs.pg.position(),
                                          std::max(tl, above_timeline) + 1,
                                          format_iso8601(obs.wall_now), name);
  if (!entries) return;
  Status written = store.write_history(nlohmann::json::parse(dcs::encode_history(*entries)));
  if (!written.ok()) log::warn("history_not_recorded", "before promoting: " + written.error().message);
}

pg::StopMode to_pg(ha::StopMode mode) {
  return mode == ha::StopMode::kImmediate ? pg::StopMode::kImmediate : pg::StopMode::kFast;
}

}  // namespace

void Agent::execute_job(const ha::Action& action, const Observed& observed) {
  const ha::Observation& obs = observed.obs;
  JobContext ctx = job_context(obs.pg);

  std::optional<JobBody> body;
  bool may_write = false;
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, ha::Bootstrap>) {
          body = bootstrap_job(ctx);
          may_write = true;
        } else if constexpr (std::is_same_v<T, ha::Clone>) {
          auto source = find_member(obs, a.source);
          auto leader = find_member(obs, obs.cluster && obs.cluster->leader
                                             ? std::optional(obs.cluster->leader->name)
                                             : std::nullopt);
          if (source && leader) body = clone_job(ctx, *source, *leader);
        } else if constexpr (std::is_same_v<T, ha::StartPostgres>) {
          body = start_job(ctx, a.as_primary, find_member(obs, a.upstream));
          may_write = a.as_primary;
        } else if constexpr (std::is_same_v<T, ha::Rejoin>) {
          if (auto leader = find_member(obs, a.leader)) body = rejoin_job(ctx, *leader);
        } else if constexpr (std::is_same_v<T, ha::Promote>) {
          record_promotion(*deps_.store, obs, ha_config_.name.value, a.above_timeline);
          body = promote_job(ctx, a.above_timeline);
          may_write = true;
        } else if constexpr (std::is_same_v<T, ha::StopPostgres>) {
          body = stop_job(ctx, to_pg(a.mode));
        } else if constexpr (std::is_same_v<T, ha::FollowLeader>) {
          body = follow_job(ctx, find_member(obs, a.leader));
        }
      },
      action);
  if (!body) {
    log::warn("job_not_started", ha::action_name(action) + ": the member it needs is not in etcd");
    return;
  }
  if (may_write) body = fenced_job(std::move(*body), deps_.fencer, ctx.postgres);
  auto kind = *ha::job_of(action);
  if (!deps_.jobs->start(kind, may_write, std::move(*body))) {
    log::warn("job_not_started", ha::action_name(action) + ": another job is still running");
  }
}

}  // namespace pghalo::agent
