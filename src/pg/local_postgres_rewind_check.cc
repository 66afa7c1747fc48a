// LocalPostgres::check_rewind: the divergence check of spec 2.12, asked over a replication
// connection to the leader (IDENTIFY_SYSTEM, TIMELINE_HISTORY) and answered by decide_rewind().
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "common/log.h"
#include "common/strings.h"
#include "pg/conninfo.h"
#include "pg/local_postgres.h"
#include "pg/rewind_decision.h"
#include "pg/timeline_reservation.h"

namespace pghalo::pg {
namespace {

constexpr Duration kLeaderQueryTimeout = std::chrono::seconds(5);

// TIMELINE_HISTORY's content column is bytea on some versions ("\x..." in text format).
std::string history_content(const std::string& value) {
  if (value.rfind("\\x", 0) != 0) return value;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 2; i + 1 < value.size(); i += 2) {
    int high = nibble(value[i]), low = nibble(value[i + 1]);
    if (high < 0 || low < 0) return value;  // not hex after all: let the parser say what it is
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

Duration left_until(const Clock& clock, MonoTime deadline) {
  auto left = std::chrono::duration_cast<Duration>(deadline - clock.now());
  return std::max(left, Duration(1));
}

Error leader_unavailable(const SourceServer& leader, const std::string& why) {
  return make_error(ErrorCode::kUnavailable, "cannot check against the leader " + leader.host +
                                                 ":" + std::to_string(leader.port) + ": " + why);
}

// The first value of the first result set, if any.
std::optional<std::string> first_value(const std::vector<QueryResult>& results,
                                       const std::string& column) {
  if (results.empty()) return std::nullopt;
  return results.front().get(0, column);
}

// Where the local server is: a running replica reports what it replayed, a stopped server
// what its control file says.
Result<LocalPosition> current_position(const model::PgObservation& now,
                                       const model::ControlData& control) {
  if (!now.running()) return local_position_from_control(control);
  if (!now.accepting_connections) {
    return make_error(ErrorCode::kUnavailable,
                      "local postgres does not answer: " + now.query_error);
  }
  if (!now.in_recovery) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "local postgres runs as a primary: stop or demote it before the check");
  }
  bool streaming_tl = now.wal_receiver && now.wal_receiver->received_timeline.value > 0;
  return LocalPosition{streaming_tl ? now.wal_receiver->received_timeline : now.timeline,
                       now.replayed_lsn, true};
}

// A timeline history only means something on a primary.
Status ensure_primary(const SourceServer& leader, const Clock& clock, MonoTime deadline) {
  auto keywords = connection_keywords(
      leader, {{"options", "-c statement_timeout=" + std::to_string(kLeaderQueryTimeout.count())},
               {"fallback_application_name", "pghalo"},
               {"target_session_attrs", "read-write"}});
  Duration bound = std::min(left_until(clock, deadline), kLeaderQueryTimeout);
  auto session = PgSession::connect(keywords, bound);
  if (!session.ok()) return leader_unavailable(leader, session.error().message);
  auto recovery = (*session)->query("SELECT pg_catalog.pg_is_in_recovery() AS r", bound);
  if (!recovery.ok()) return leader_unavailable(leader, recovery.error().message);
  if (first_value(*recovery, "r") != std::optional<std::string>("f")) {
    return leader_unavailable(leader, "it is still in recovery");
  }
  return ok_status();
}

struct LeaderHistory {
  model::TimelineId timeline;
  std::vector<TimelineSwitch> switches;  // empty when not needed
};

// IDENTIFY_SYSTEM, and TIMELINE_HISTORY when the leader is on another timeline than ours.
Result<LeaderHistory> history_of(const SourceServer& leader, SourceServer replication,
                                 model::TimelineId local_timeline, const Clock& clock,
                                 MonoTime deadline) {
  replication.options["replication"] = "true";
  auto session = PgSession::connect(connection_keywords(replication, {}),
                                    std::min(left_until(clock, deadline), kLeaderQueryTimeout));
  if (!session.ok()) {
    return leader_unavailable(leader, "replication connection: " + session.error().message);
  }
  auto identify = (*session)->query("IDENTIFY_SYSTEM", left_until(clock, deadline));
  if (!identify.ok()) {
    return leader_unavailable(leader, "IDENTIFY_SYSTEM: " + identify.error().message);
  }
  auto timeline = parse_int64(first_value(*identify, "timeline").value_or(""));
  if (!timeline) return make_error(ErrorCode::kInternal, "IDENTIFY_SYSTEM returned no timeline");
  LeaderHistory history{model::TimelineId(*timeline), {}};
  if (*timeline <= 1 || history.timeline == local_timeline) return history;
  auto answer = (*session)->query("TIMELINE_HISTORY " + std::to_string(*timeline),
                                  left_until(clock, deadline));
  if (!answer.ok()) {
    return leader_unavailable(leader, "TIMELINE_HISTORY: " + answer.error().message);
  }
  auto parsed =
      parse_timeline_history(history_content(first_value(*answer, "content").value_or("")));
  if (!parsed.ok()) return parsed.error();
  history.switches = std::move(*parsed);
  return history;
}

}  // namespace

Result<std::optional<model::Lsn>> LocalPostgres::checkpoint_end(const model::ControlData& control) {
  // pg_waldump exits 1 after the expected "invalid record length" error: read its output anyway,
  // so this bypasses run_tool()'s exit-code check.
  process::ProcessSpec spec;
  spec.argv = {program("pg_waldump"),
               "-p",
               settings_.data_dir + "/pg_wal",
               "-t",
               std::to_string(control.checkpoint_timeline.value),
               "-s",
               format_lsn(control.checkpoint_lsn.value),
               "-n",
               "2"};
  spec.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  spec.timeout = std::chrono::seconds(10);
  spec.working_dir = "/";
  auto result = runner_.run(spec);
  if (!result.ok()) return result.error();
  return parse_checkpoint_end(result->output, control.checkpoint_lsn);
}

// A crashed primary's history ends where its WAL ends. Reading that end with pg_waldump, rather
// than replaying the WAL in single-user mode first, matters for the usual failover: the replica
// that took over had received everything, the old primary's WAL ends exactly at the switch point,
// and it can start as a standby of the new leader at once (its own crash recovery then runs as
// part of that start). Crash recovery would have appended an end-of-recovery checkpoint past the
// switch point and made a pg_rewind necessary. Nullopt whenever the end is not certain: crash
// recovery decides then, as before.
std::optional<LocalPosition> LocalPostgres::crashed_primary_position(
    const model::ControlData& control, MonoTime deadline) {
  if (control.cluster_state != "in production") return std::nullopt;
  // A promotion that no checkpoint recorded yet continues the WAL on the next timeline, which
  // pg_waldump -t <checkpoint timeline> does not read.
  std::string next_history = settings_.data_dir + "/pg_wal/" +
                             timeline_history_file_name(control.checkpoint_timeline.value + 1);
  std::error_code ec;
  if (std::filesystem::exists(next_history, ec) || ec) return std::nullopt;
  process::ProcessSpec spec;
  spec.argv = {program("pg_waldump"), "-q",  "-p", settings_.data_dir + "/pg_wal", "-t",
               std::to_string(control.checkpoint_timeline.value), "-s",
               format_lsn(control.checkpoint_lsn.value)};
  spec.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  spec.timeout = std::min(left_until(clock_, deadline), Duration(std::chrono::seconds(10)));
  spec.working_dir = "/";
  auto result = runner_.run(spec);
  if (!result.ok()) return std::nullopt;
  auto end = parse_wal_end(result->output);
  if (!end || end->value < control.checkpoint_lsn.value) return std::nullopt;
  return LocalPosition{control.checkpoint_timeline, *end, /*in_recovery=*/true};
}

Result<RewindCheck> LocalPostgres::compare_with_leader(const SourceServer& leader,
                                                       const model::ControlData& control,
                                                       const std::optional<LocalPosition>& crashed,
                                                       MonoTime deadline) {
  auto local = crashed ? Result<LocalPosition>(*crashed) : current_position(observe(), control);
  if (!local.ok()) return local.error();
  PGHALO_TRY(ensure_primary(leader, clock_, deadline));
  SourceServer replication_source = leader;
  if (!settings_.replication_user.empty()) {
    replication_source.user = settings_.replication_user;
    replication_source.password = settings_.replication_password;
    replication_source.options = settings_.replication_options;
  }
  auto history = history_of(leader, replication_source, local->timeline, clock_, deadline);
  if (!history.ok()) return history.error();
  auto verdict = decide_rewind(*local, history->timeline, history->switches, [&]() {
    auto end = checkpoint_end(control);
    return end.ok() ? *end : std::nullopt;
  });
  return RewindCheck{verdict.needed ? RewindNeed::kNeeded : RewindNeed::kNotNeeded, verdict.detail};
}

Result<RewindCheck> LocalPostgres::check_rewind(const SourceServer& leader, Duration timeout) {
  MonoTime deadline = clock_.now() + timeout;
  if (data_dir_state(settings_.data_dir) != model::DataDirState::kValid) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "no valid data directory at " + settings_.data_dir + " to compare");
  }
  auto control = read_controldata();
  if (!control.ok()) return control.error();
  // A crashed, stopped server does not know where its history ends until WAL is replayed,
  // unless pg_waldump can find the end of its WAL.
  bool stopped = !live_postmaster();
  std::optional<LocalPosition> crashed;
  if (stopped && !control->cleanly_shut_down() && control->cluster_state != "in archive recovery") {
    crashed = crashed_primary_position(*control, deadline);
    if (!crashed) {
      PGHALO_TRY(crash_recovery(left_until(clock_, deadline)));
      control = read_controldata();
      if (!control.ok()) return control.error();
    }
  }
  auto check = compare_with_leader(leader, *control, crashed, deadline);
  if (!check.ok()) return check.error();
  // Not needed from the end of the WAL: the start as a standby replays it. Needed: pg_rewind
  // runs crash recovery itself first (rewind()).
  if (crashed) check->detail = "crashed primary: " + check->detail;
  if (check->need == RewindNeed::kNeeded) {
    if (!control->rewind_capable()) {
      check->need = RewindNeed::kImpossible;
      check->detail +=
          "; pg_rewind needs wal_log_hints=on or data checksums, and this cluster "
          "has neither";
    } else if (::access(program("pg_rewind").c_str(), X_OK) != 0 && !settings_.bin_dir.empty()) {
      check->need = RewindNeed::kImpossible;
      check->detail += "; " + program("pg_rewind") + " is missing";
    }
  }
  log::info("rewind_check", check->detail,
            {{"need", check->need == RewindNeed::kNeeded       ? "needed"
                      : check->need == RewindNeed::kImpossible ? "impossible"
                                                               : "not_needed"}});
  return check;
}

}  // namespace pghalo::pg
