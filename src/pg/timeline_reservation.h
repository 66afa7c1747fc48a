// Timeline reservation: makes the next promotion of a standby choose a timeline above a number
// the cluster already used, by writing placeholder `<TLI>.history` files into pg_wal.
//
// Why: at promotion PostgreSQL picks one more than the newest timeline whose history file it
// finds in a contiguous run above the one it replays (findNewestTimeLine). A member that missed
// the last promotions, and whose peers on the newer timelines lost their data, would otherwise
// reuse a timeline number that another history wrote on (docs/ha-decisions.md, leader race).
// A placeholder holds only '#' comment lines, which readTimeLineHistory skips: it parses as a
// timeline without parents, so a standby scanning for a newer timeline ignores it ("not a child
// of the database system timeline") and nothing else ever streams it.
//
// Not here: deciding the numbers (ha), promoting (LocalPostgres). Touches the file system only.
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace pghalo::pg {

// PostgreSQL's name for a timeline's history file: eight upper-case hex digits + ".history".
std::string timeline_history_file_name(std::int64_t timeline);

// The placeholder's text for `timeline`.
std::string placeholder_history_text(std::int64_t timeline);

// Writes a placeholder into `wal_dir` for every timeline in (current, above] that has no
// history file yet (existing files, real or placeholder, are left alone) and returns the paths
// it wrote. Nothing to do when above <= current. Each file is written to a temporary name,
// fsynced and renamed. Errors: kInternal when a file cannot be written (those already written
// are removed again).
Result<std::vector<std::string>> reserve_timelines(const std::string& wal_dir, std::int64_t current,
                                                   std::int64_t above);

// Removes the placeholders reserve_timelines wrote, after a promotion that failed: a standby
// restarted with a placeholder newer than its real timelines would take it as its recovery target
// and refuse to start. After a successful promotion they stay (below the new timeline): a standby
// on an older timeline fetches every history file up to the leader's before it streams. Best
// effort.
void release_timelines(const std::vector<std::string>& paths);

// Removes the placeholders in `wal_dir` that lie above every real history file (left by an agent
// that died between reserving and promoting, or by a pg_ctl promote that timed out) and returns
// their paths. Called before PostgreSQL starts, when no promotion can be running: a standby
// started with a placeholder above its timeline refuses to start. Placeholders below a real
// history file are kept: a promotion skipped those numbers, and standbys fetch their files. A
// file is taken for a placeholder only when its whole text is exactly what reserve_timelines
// writes for its number.
std::vector<std::string> remove_leftover_placeholders(const std::string& wal_dir);

}  // namespace pghalo::pg
