#include "agent/jobs.h"

#include <filesystem>

#include "agent/postgres_plan.h"
#include "common/log.h"

namespace pghalo::agent {
namespace {

constexpr Duration kInitdbTimeout = std::chrono::minutes(10);
constexpr Duration kCloneTimeout = std::chrono::hours(12);
constexpr Duration kRewindTimeout = std::chrono::hours(1);
constexpr Duration kRewindCheckTimeout = std::chrono::seconds(30);
constexpr Duration kSqlTimeout = std::chrono::seconds(30);
constexpr Duration kCheckpointTimeout = std::chrono::minutes(10);

Duration pg_ctl_timeout(const JobContext& ctx) {
  return std::chrono::seconds(std::max(1, ctx.local.postgresql.pg_ctl_timeout));
}

Status write_as(const JobContext& ctx, const Role& role) {
  pg::ManagedFiles files = managed_files(ctx.local, ctx.dynamic, ctx.major_version, role, ctx.use_slots);
  if (ctx.synchronous_standby_names && !role.standby && !role.upstream) {
    files.parameters["synchronous_standby_names"] = *ctx.synchronous_standby_names;
  }
  return ctx.postgres->write_files(files);
}

Role replica_of(std::optional<model::Member> upstream) {
  Role role;
  role.standby = true;
  role.upstream = std::move(upstream);
  return role;
}

// A failed bootstrap must not leave a half-made cluster that a restart would adopt.
void set_failed_bootstrap_aside(const JobContext& ctx) {
  (void)ctx.postgres->stop(pg::StopMode::kImmediate, std::chrono::seconds(30));
  std::error_code ec;
  std::filesystem::path dir(ctx.local.postgresql.data_dir);
  std::filesystem::path failed = dir.string() + ".failed";
  std::filesystem::remove_all(failed, ec);
  std::filesystem::rename(dir, failed, ec);
  if (ec) {
    log::error("bootstrap_cleanup_failed", "could not move the data directory aside: " + ec.message());
  } else {
    log::warn("bootstrap_cleanup", "moved the failed data directory to " + failed.string());
  }
}

}  // namespace

JobBody bootstrap_job(JobContext ctx) {
  return [ctx]() -> Status {
    Status s = [&]() -> Status {
      PGHALO_TRY(ctx.postgres->initdb(bootstrap_spec(ctx.local), kInitdbTimeout));
      PGHALO_TRY(write_as(ctx, Role{}));
      PGHALO_TRY(ctx.postgres->start(pg_ctl_timeout(ctx)));
      std::string sql = bootstrap_sql(ctx.local);
      if (!sql.empty()) PGHALO_TRY(ctx.postgres->execute(sql, kSqlTimeout));
      return ok_status();
    }();
    if (!s.ok()) set_failed_bootstrap_aside(ctx);
    return s;
  };
}

JobBody clone_job(JobContext ctx, model::Member source, model::Member leader) {
  return [ctx, source, leader]() -> Status {
    PGHALO_TRY(ctx.postgres->basebackup(replication_source(ctx.local, source), kCloneTimeout));
    PGHALO_TRY(write_as(ctx, replica_of(leader)));
    return ctx.postgres->start(pg_ctl_timeout(ctx));
  };
}

JobBody start_job(JobContext ctx, bool as_primary, std::optional<model::Member> upstream) {
  return [ctx, as_primary, upstream]() -> Status {
    PGHALO_TRY(write_as(ctx, as_primary ? Role{} : replica_of(upstream)));
    return ctx.postgres->start(pg_ctl_timeout(ctx));
  };
}

JobBody rejoin_job(JobContext ctx, model::Member leader) {
  return [ctx, leader]() -> Status {
    pg::SourceServer source = rewind_source(ctx.local, leader);
    auto check = ctx.postgres->check_rewind(source, kRewindCheckTimeout);
    if (!check.ok()) {
      // Without knowing whether we diverged, starting could leave a replica that never streams.
      return make_error(check.error().code, "cannot tell whether this member diverged from " +
                                                leader.name.value + ": " + check.error().message);
    }
    switch (check->need) {
      case pg::RewindNeed::kNotNeeded:
        break;
      case pg::RewindNeed::kNeeded:
        if (ctx.use_pg_rewind) {
          log::info("rewind", "diverged from " + leader.name.value + ": " + check->detail + "; running pg_rewind");
          PGHALO_TRY(ctx.postgres->rewind(source, kRewindTimeout));
        } else if (ctx.dynamic.remove_data_directory_on_diverged_timelines ||
                   ctx.local.postgresql.remove_data_directory_on_diverged_timelines) {
          PGHALO_TRY(ctx.postgres->remove_data_directory());
          return make_error(ErrorCode::kFailedPrecondition,
                            "diverged and use_pg_rewind is off: removed the data directory to clone again");
        } else {
          log::error("rewind_disabled", "diverged from " + leader.name.value + " (" + check->detail +
                                            ") but use_pg_rewind is off: this replica will not stream; "
                                            "reinitialize it (pghaloctl reinit)");
        }
        break;
      case pg::RewindNeed::kImpossible:
        log::error("rewind_impossible", check->detail);
        break;
    }
    PGHALO_TRY(write_as(ctx, replica_of(leader)));
    return ctx.postgres->start(pg_ctl_timeout(ctx));
  };
}

JobBody promote_job(JobContext ctx, std::int64_t above_timeline) {
  return [ctx, above_timeline]() -> Status {
    PGHALO_TRY(ctx.postgres->promote(pg_ctl_timeout(ctx), above_timeline));
    // Drop the standby settings so a later restart comes up as a primary.
    PGHALO_TRY(write_as(ctx, Role{}));
    // pg_rewind on the old primary reads the new timeline from pg_control: checkpoint now.
    Status checkpoint = ctx.postgres->checkpoint(kCheckpointTimeout);
    if (!checkpoint.ok()) log::warn("checkpoint_after_promote", checkpoint.error().message);
    return ok_status();
  };
}

JobBody fenced_job(JobBody body, const Fencer* fencer, pg::PostgresControl* postgres) {
  int fired_before = fencer->fired_count();
  return [body = std::move(body), fencer, postgres, fired_before]() -> Status {
    Status status = body();
    if (fencer->fired_count() == fired_before) return status;
    log::error("job_fenced", "the fence fired while the job ran; stopping PostgreSQL");
    (void)postgres->signal_immediate_stop();
    return make_error(ErrorCode::kFailedPrecondition,
                      "the fence fired while the job ran (the lease was not proven in time); "
                      "PostgreSQL stopped instead of accepting writes");
  };
}

JobBody stop_job(JobContext ctx, pg::StopMode mode) {
  return [ctx, mode]() -> Status { return ctx.postgres->stop(mode, pg_ctl_timeout(ctx)); };
}

JobBody follow_job(JobContext ctx, std::optional<model::Member> leader) {
  return [ctx, leader]() -> Status {
    PGHALO_TRY(write_as(ctx, replica_of(leader)));
    return ctx.postgres->reload();
  };
}

Status rewrite_config_files(const JobContext& ctx, bool as_primary,
                            std::optional<model::Member> upstream) {
  PGHALO_TRY(write_as(ctx, as_primary ? Role{} : replica_of(std::move(upstream))));
  return ctx.postgres->reload();
}

JobBody restart_job(JobContext ctx, bool as_primary, std::optional<model::Member> upstream) {
  return [ctx, as_primary, upstream]() -> Status {
    PGHALO_TRY(ctx.postgres->stop(pg::StopMode::kFast, pg_ctl_timeout(ctx)));
    PGHALO_TRY(write_as(ctx, as_primary ? Role{} : replica_of(upstream)));
    return ctx.postgres->start(pg_ctl_timeout(ctx));
  };
}

JobBody reinitialize_job(JobContext ctx, model::Member source, model::Member leader) {
  return [ctx, source, leader]() -> Status {
    PGHALO_TRY(ctx.postgres->stop(pg::StopMode::kImmediate, pg_ctl_timeout(ctx)));
    PGHALO_TRY(ctx.postgres->remove_data_directory());
    PGHALO_TRY(ctx.postgres->basebackup(replication_source(ctx.local, source), kCloneTimeout));
    PGHALO_TRY(write_as(ctx, replica_of(leader)));
    return ctx.postgres->start(pg_ctl_timeout(ctx));
  };
}

}  // namespace pghalo::agent
