// The pure part of `pghaloctl backup`: naming backups as the seed's script does
// (backup_YYYYMMDD_HHMMSS, local time), choosing which old backups the retention removes (only
// directories with that name whose timestamp is older than the limit: never other files, never
// the backup just taken), and the pg_basebackup command line. Pure apart from the local time
// zone; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace pghalo::ctl {

// "backup_20240502_101112" for `now` in local time.
std::string backup_name(WallTime now);
// The time in a backup's name (optionally followed by "_<n>"); nullopt for any other name.
std::optional<WallTime> backup_time(const std::string& name);

// The names among `names` that are backups taken more than `retention` before `now`, except
// `keep`. Sorted oldest first.
std::vector<std::string> expired_backups(const std::vector<std::string>& names, WallTime now,
                                         Duration retention, const std::string& keep);

struct BasebackupSpec {
  std::string bin_dir;  // directory holding pg_basebackup
  std::string host;
  int port = 5432;
  std::string user;
  std::string target;  // the new backup directory
  std::string label;
  bool progress = false;
  std::string checkpoint = "fast";  // fast | spread
  std::optional<std::string> max_rate;
};

// pg_basebackup in tar format, gzip-compressed, with WAL streamed alongside (what the seed's
// script runs), never prompting for a password (-w) so a missing one fails instead of hanging.
std::vector<std::string> basebackup_argv(const BasebackupSpec& spec);

// The directory of the newest /usr/lib/postgresql/<major>/bin holding `program`, else "".
std::string find_postgres_bin_dir(const std::string& program);

}  // namespace pghalo::ctl
