// Operator requests that act on PostgreSQL directly: POST /restart (now or scheduled, with
// Patroni's filters) and POST /reinitialize. They run as jobs like everything long; a restart's
// REST reply waits for the job (the REST API bounds the wait).
#include <type_traits>

#include "agent/agent.h"
#include "agent/jobs.h"
#include "common/log.h"
#include "common/strings.h"

namespace pghalo::agent {
namespace {

model::CommandReply text(int status, std::string body) { return {status, std::move(body), false}; }

// "15", "15.2", "9.6.24" -> server_version_num form (150000, 150002, 90624).
std::optional<int> version_number(const std::string& text) {
  auto parts = split(text, '.');
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  std::vector<int> n;
  for (const auto& p : parts) {
    auto v = parse_int64(p);
    if (!v || *v < 0 || *v > 99) return std::nullopt;
    n.push_back(static_cast<int>(*v));
  }
  if (n[0] >= 10) return n[0] * 10000 + (n.size() > 1 ? n[1] : 0);
  return n[0] * 10000 + (n.size() > 1 ? n[1] * 100 : 0) + (n.size() > 2 ? n[2] : 0);
}

}  // namespace

JobContext Agent::job_context(const model::PgObservation& pg) {
  JobContext ctx;
  ctx.postgres = deps_.postgres;
  ctx.local = local_;
  ctx.dynamic = dynamic_;
  if (pg.server_version >= 100000) major_version_ = pg.server_version / 10000;
  ctx.major_version = major_version_;
  ctx.use_slots = ha_config_.use_slots;
  ctx.use_pg_rewind = ha_config_.use_pg_rewind;
  ctx.synchronous_standby_names = synchronous_standby_names_;
  return ctx;
}

bool Agent::restart_conditions_met(const model::RestartCommand& c, const model::PgObservation& pg) const {
  if (!pg.accepting_connections) return false;
  if (c.restart_pending.value_or(false) && !pg.pending_restart) return false;
  if (c.role) {
    bool want_primary = *c.role == "primary" || *c.role == "master";
    if (want_primary != pg.is_primary()) return false;
  }
  if (c.postgres_version) {
    auto wanted = version_number(*c.postgres_version);
    if (!wanted || pg.server_version >= *wanted) return false;
  }
  return true;
}

bool Agent::start_restart(const model::PgObservation& pg) {
  const auto* cluster = last_cluster_.get();
  std::optional<model::Member> upstream;
  if (cluster && cluster->leader && cluster->leader->name != ha_config_.name) {
    if (const auto* m = cluster->member(cluster->leader->name)) upstream = *m;
  }
  bool primary = pg.is_primary();
  JobContext ctx = job_context(pg);
  JobBody body = restart_job(ctx, primary, upstream);
  if (primary) body = fenced_job(std::move(body), deps_.fencer, ctx.postgres);
  return deps_.jobs->start(ha::JobKind::kRestart, primary, std::move(body));
}

std::optional<model::CommandReply> Agent::run_restart(model::RestartCommand& c,
                                                     const std::shared_ptr<std::promise<model::CommandReply>>& reply) {
  model::PgObservation pg = deps_.probe->observe();
  if (c.schedule) {
    if (scheduled_restart_) return text(409, "Another restart is already scheduled");
    scheduled_restart_ = c;
    nlohmann::json published = c.raw;
    published["schedule"] = format_iso8601(*c.schedule);
    if (!pg.postmaster_start_time.empty()) published["postmaster_start_time"] = pg.postmaster_start_time;
    scheduled_restart_json_ = published;
    last_member_json_.clear();
    log::info("restart_scheduled", "restart scheduled", {{"at", format_iso8601(*c.schedule)}});
    return text(202, "Restart scheduled");
  }
  if (auto running = deps_.jobs->running()) {
    return text(503, std::string(ha::job_kind_name(running->kind)) + " already in progress");
  }
  if (!restart_conditions_met(c, pg)) return text(503, "restart conditions are not satisfied");
  if (!start_restart(pg)) return text(503, "restart failed");
  restart_reply_ = reply;  // answered when the job ends
  return std::nullopt;
}

void Agent::run_due_restart(const ha::Observation& obs) {
  if (!scheduled_restart_ || obs.job) return;
  WallTime at = *scheduled_restart_->schedule;
  if (obs.wall_now < at) return;
  model::RestartCommand c = *scheduled_restart_;
  scheduled_restart_.reset();
  scheduled_restart_json_ = nullptr;
  last_member_json_.clear();
  if (obs.wall_now - at > ha_config_.loop_wait * 3 / 2) {
    log::warn("restart_skipped", "the scheduled restart is too late to run; dropped");
    return;
  }
  if (!restart_conditions_met(c, obs.pg)) {
    log::info("restart_skipped", "scheduled restart: conditions are not satisfied; dropped");
    return;
  }
  log::info("restart", "running the scheduled restart");
  start_restart(obs.pg);
}

void Agent::answer_finished_restart(const ha::Observation& obs) {
  if (!restart_reply_ || !obs.job_finished || obs.job_finished->kind != ha::JobKind::kRestart) return;
  restart_reply_->set_value(obs.job_finished->succeeded ? text(200, "restarted successfully")
                                                        : text(503, "restart failed"));
  restart_reply_.reset();
}

model::CommandReply Agent::run_cancel_restart() {
  if (!scheduled_restart_) return text(404, "no restarts are scheduled");
  scheduled_restart_.reset();
  scheduled_restart_json_ = nullptr;
  last_member_json_.clear();
  return text(200, "scheduled restart deleted");
}

model::CommandReply Agent::run_reinitialize(const model::ReinitializeCommand& c) {
  const auto* cluster = last_cluster_.get();
  if (!cluster || !cluster->leader) return text(503, "Cluster has no leader, can not reinitialize");
  if (cluster->leader->name == ha_config_.name) return text(503, "I am the leader, can not reinitialize");
  if (auto running = deps_.jobs->running()) {
    // Jobs cannot be interrupted safely (pg_basebackup, pg_rewind): even with force, wait.
    return text(503, std::string(ha::job_kind_name(running->kind)) + " already in progress" +
                         (c.force ? " (it cannot be interrupted; try again when it ends)" : ""));
  }
  const model::Member* leader = cluster->member(cluster->leader->name);
  if (!leader) return text(503, "the leader has not published its member key yet");
  model::PgObservation pg = deps_.probe->observe();
  if (!deps_.jobs->start(ha::JobKind::kReinitialize, false,
                         reinitialize_job(job_context(pg), *leader, *leader))) {
    return text(503, "reinitialize failed to start");
  }
  memory_.following = leader->name;
  log::info("reinitialize", "reinitializing from " + leader->name.value);
  return text(200, "reinitialize started");
}

}  // namespace pghalo::agent
