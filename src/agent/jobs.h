// The bodies of the long PostgreSQL actions the HA core asks for. Each captures copies of what
// it needs, so it can run on the job runner while the loop goes on. Every step is bounded by a
// timeout. Thread-safety: a body touches only PostgresControl (serialised: one job at a time).
#pragma once

#include <optional>

#include "agent/fencer.h"
#include "agent/job_runner.h"
#include "config/config.h"
#include "model/member.h"
#include "pg/postgres.h"

namespace pghalo::agent {

struct JobContext {
  pg::PostgresControl* postgres = nullptr;
  config::Config local;
  config::DynamicConfig dynamic;
  int major_version = 15;
  bool use_slots = true;
  bool use_pg_rewind = false;
  std::optional<std::string> synchronous_standby_names;  // set by a synchronous-mode leader
};

JobBody bootstrap_job(JobContext ctx);
JobBody clone_job(JobContext ctx, model::Member source, model::Member leader);
// upstream: a replica streaming from it; standby without upstream: read-only, nobody to follow.
JobBody start_job(JobContext ctx, bool as_primary, std::optional<model::Member> upstream);
JobBody rejoin_job(JobContext ctx, model::Member leader);
// above_timeline: the new timeline must be above it (a number the cluster already used).
JobBody promote_job(JobContext ctx, std::int64_t above_timeline);
JobBody stop_job(JobContext ctx, pg::StopMode mode);
// Wraps a job that may leave PostgreSQL accepting writes (start as primary, promote): if the
// fence fired while it ran, the server it brought up is stopped at once and the job fails.
// The fencer signals only a postmaster that exists when it fires; one that pg_ctl start forks,
// or a promotion that completes, after that instant would otherwise accept writes without a
// proven lease (simulator seeds 110, 124, 168, 175, 386).
JobBody fenced_job(JobBody body, const Fencer* fencer, pg::PostgresControl* postgres);
JobBody follow_job(JobContext ctx, std::optional<model::Member> leader);
// Rewrites the managed files for the role PostgreSQL runs in now (a replica keeps following
// `upstream`) and reloads: how a changed /config or a reloaded YAML reaches a running server, as
// Patroni does, and how a primary takes a new ctx.synchronous_standby_names. What PostgreSQL
// takes only at a restart then shows as pending_restart. Quick
// (files and a signal): run inline by the loop.
Status rewrite_config_files(const JobContext& ctx, bool as_primary,
                            std::optional<model::Member> upstream);
// An operator's restart: a fast stop, then a start in the same role.
JobBody restart_job(JobContext ctx, bool as_primary, std::optional<model::Member> upstream);
// An operator's reinitialize: stop, wipe the data directory, clone from `source`, start as a
// replica of `leader`.
JobBody reinitialize_job(JobContext ctx, model::Member source, model::Member leader);

}  // namespace pghalo::agent
