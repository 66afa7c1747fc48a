#include "pg/rewind_decision.h"

#include "common/strings.h"

namespace pghalo::pg {
namespace {

std::string position_text(model::TimelineId tl, model::Lsn lsn) {
  return "timeline " + std::to_string(tl.value) + " at " + format_lsn(lsn.value);
}

// The first two whitespace-separated fields of a history line; the rest is the free-text
// reason. PostgreSQL separates them with tabs; spaces are tolerated.
std::vector<std::string> leading_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::string current;
  for (char c : line) {
    if (c != '\t' && c != ' ') {
      current += c;
      continue;
    }
    if (!current.empty()) fields.push_back(current);
    current.clear();
    if (fields.size() == 2) return fields;
  }
  if (!current.empty()) fields.push_back(current);
  return fields;
}

// Our timeline is `fork.parent`: did we go past the point where the leader left it?
RewindVerdict compare_at_fork(const LocalPosition& local, const TimelineSwitch& fork,
                              const std::string& where,
                              const std::function<std::optional<model::Lsn>()>& checkpoint_end) {
  std::string forked = "the leader forked off timeline " + std::to_string(fork.parent.value) +
                       " at " + format_lsn(fork.switch_point.value);
  if (local.in_recovery) {
    bool past = local.lsn.value > fork.switch_point.value;
    return {past, where + (past ? " is past the point where " : " is not past the point where ") +
                      forked};
  }
  if (local.lsn.value >= fork.switch_point.value) {
    return {true, where + " has written past the point where " + forked};
  }
  // A cleanly stopped primary whose shutdown checkpoint ends exactly at the fork point has
  // nothing the leader lacks.
  auto end = checkpoint_end ? checkpoint_end() : std::nullopt;
  if (end && *end == fork.switch_point) {
    return {false, where + ": its shutdown checkpoint ends where " + forked};
  }
  return {true, where + ": its shutdown checkpoint ends at " +
                    (end ? format_lsn(end->value) : std::string("an unknown position")) +
                    ", not where " + forked};
}

}  // namespace

Result<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view text) {
  std::vector<TimelineSwitch> history;
  int line_number = 0;
  for (const auto& raw : split(text, '\n', /*skip_empty=*/false)) {
    ++line_number;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields = leading_fields(line);
    auto parent = fields.size() >= 2 ? parse_int64(fields[0]) : std::nullopt;
    auto lsn = fields.size() >= 2 ? parse_lsn(fields[1]) : std::nullopt;
    if (!parent || !lsn) {
      return make_error(ErrorCode::kInvalidArgument,
                        "timeline history line " + std::to_string(line_number) +
                            " is not \"<timeline> <lsn> <reason>\": " + std::string(line));
    }
    history.push_back({model::TimelineId(*parent), model::Lsn(*lsn)});
  }
  return history;
}

Result<LocalPosition> local_position_from_control(const model::ControlData& control) {
  const std::string& state = control.cluster_state;
  if (state == "shut down in recovery" || state == "in archive recovery") {
    // A replica: it may have replayed up to its minimum recovery point. 0/0 means it was a
    // primary when it went down; fall through to its checkpoint.
    if (control.min_recovery_end.value != 0 && control.min_recovery_timeline.value != 0) {
      return LocalPosition{control.min_recovery_timeline, control.min_recovery_end, true};
    }
    return LocalPosition{control.checkpoint_timeline, control.checkpoint_lsn, false};
  }
  if (state == "shut down") {
    return LocalPosition{control.checkpoint_timeline, control.checkpoint_lsn, false};
  }
  return make_error(ErrorCode::kFailedPrecondition,
                    "the data directory was not shut down cleanly (state \"" + state +
                        "\"): crash recovery must run first");
}

RewindVerdict decide_rewind(const LocalPosition& local, model::TimelineId leader_timeline,
                            const std::vector<TimelineSwitch>& leader_history,
                            const std::function<std::optional<model::Lsn>()>& checkpoint_end) {
  std::string where = "local " + position_text(local.timeline, local.lsn);
  if (local.timeline.value > leader_timeline.value) {
    return {true,
            where + " is ahead of the leader's timeline " + std::to_string(leader_timeline.value)};
  }
  if (local.timeline == leader_timeline) {
    return {false, where + " is on the leader's timeline"};
  }
  for (const auto& entry : leader_history) {
    if (entry.parent == local.timeline) return compare_at_fork(local, entry, where, checkpoint_end);
    if (entry.parent.value > local.timeline.value) {
      return {true, where + " is not an ancestor of the leader's timeline " +
                        std::to_string(leader_timeline.value)};
    }
  }
  return {true, where + " does not appear in the leader's timeline history"};
}

namespace {

struct WaldumpStop {
  model::Lsn last_record;  // the last record pg_waldump could read
  model::Lsn end;          // where the next one would have started
  bool zeros = false;      // "wanted 24, got 0": nothing was ever written after the last record
};

// "error in WAL record at <last>: invalid record length at <end>: wanted 24, got <n>".
std::optional<WaldumpStop> invalid_length_stop(std::string_view output) {
  constexpr std::string_view kRecord = "error in WAL record at ";
  constexpr std::string_view kLength = ": invalid record length at ";
  auto start = output.find(kRecord);
  if (start == std::string_view::npos) return std::nullopt;
  start += kRecord.size();
  auto length = output.find(kLength, start);
  if (length == std::string_view::npos) return std::nullopt;
  auto end_start = length + kLength.size();
  auto colon = output.find(':', end_start);
  if (colon == std::string_view::npos) return std::nullopt;
  auto last = parse_lsn(output.substr(start, length - start));
  auto end = parse_lsn(output.substr(end_start, colon - end_start));
  if (!last || !end) return std::nullopt;
  bool zeros = output.substr(colon).rfind(": wanted 24, got 0", 0) == 0;
  return WaldumpStop{model::Lsn(*last), model::Lsn(*end), zeros};
}

}  // namespace

std::optional<model::Lsn> parse_checkpoint_end(std::string_view output, model::Lsn checkpoint) {
  auto stop = invalid_length_stop(output);
  if (!stop || stop->last_record != checkpoint) return std::nullopt;
  return stop->end;
}

std::optional<model::Lsn> parse_wal_end(std::string_view output) {
  auto stop = invalid_length_stop(output);
  if (!stop || !stop->zeros) return std::nullopt;
  return stop->end;
}

}  // namespace pghalo::pg
