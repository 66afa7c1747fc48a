// Does a stopped former primary or a replica need pg_rewind before it can follow the leader?
// The same decision Patroni makes (spec 2.12), from the leader's answer to IDENTIFY_SYSTEM and
// TIMELINE_HISTORY and from where the local server stopped.
//
// Not here: connecting to the leader or running pg_waldump (LocalPostgres does and passes the
// results in). Pure; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/postgres.h"

namespace pghalo::pg {

// Where the local server is on its own history.
struct LocalPosition {
  model::TimelineId timeline;
  model::Lsn lsn;            // replica: replayed; stopped: min recovery end or last checkpoint
  bool in_recovery = false;  // false: a former primary (its LSN is a shutdown checkpoint)
};

// One line of a timeline history file: `parent_tli <tab> switch_lsn <tab> reason`.
struct TimelineSwitch {
  model::TimelineId parent;
  model::Lsn switch_point;  // where the child timeline forked off `parent`
};

// Parses a NNNNNNNN.history file; comments and blank lines are skipped. Errors name the line.
Result<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view text);

// The position of a stopped server from its control file: a cleanly stopped replica reports
// its minimum recovery point, a cleanly stopped primary its last (shutdown) checkpoint. Error
// kFailedPrecondition when the server did not shut down cleanly (crash recovery first).
Result<LocalPosition> local_position_from_control(const model::ControlData& control);

struct RewindVerdict {
  bool needed = false;
  std::string detail;
};

// `checkpoint_end` is asked only for a former primary whose shutdown checkpoint precedes the
// leader's switch point: it returns where that checkpoint record ends (nullopt if unknown,
// which counts as diverged, the safe answer).
RewindVerdict decide_rewind(const LocalPosition& local, model::TimelineId leader_timeline,
                            const std::vector<TimelineSwitch>& leader_history,
                            const std::function<std::optional<model::Lsn>()>& checkpoint_end);

// From `pg_waldump -s <checkpoint> -n 2` stderr: "error in WAL record at <lsn>: invalid record
// length at <end>: wanted 24, got 0" says the checkpoint record at <lsn> ends at <end>.
std::optional<model::Lsn> parse_checkpoint_end(std::string_view waldump_output,
                                               model::Lsn checkpoint);

// From `pg_waldump -q -s <checkpoint>` on a crashed server: where its WAL ends, when pg_waldump
// stopped at zero-filled space after the last record (the same message as above). Any other stop
// (a recycled segment's old bytes, a page or segment boundary, a missing file) gives nullopt:
// only crash recovery can tell then.
std::optional<model::Lsn> parse_wal_end(std::string_view waldump_output);

}  // namespace pghalo::pg
