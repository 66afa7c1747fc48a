// Which postmaster owns a data directory: parsing of postmaster.pid and postmaster.opts, and
// the check that a pid from the lock file really is that data directory's postmaster (a stale
// file after a crash may name a pid the kernel has since given to an unrelated process).
//
// Not here: starting or signalling processes. The parsers are pure; the /proc checks read the
// file system only. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace pghalo::pg {

// The lines of postmaster.pid (PostgreSQL's lock file), in order.
struct PostmasterPidFile {
  int pid = 0;
  bool single_user = false;  // a `postgres --single` backend writes its pid negated
  std::string data_dir;
  std::optional<long long> start_time;  // epoch seconds
  std::optional<int> port;
  std::string socket_dir;
  std::string listen_address;
  std::string status;  // "starting", "ready", "stopping", "standby" (may be absent)
};

// Errors (kInvalidArgument) say what is wrong with the first line, the only one we rely on.
Result<PostmasterPidFile> parse_postmaster_pid(std::string_view text);

// The options a postmaster was started with, from postmaster.opts: `--name=value` and
// `-c name=value`, in order. Other arguments (the program, -D) are skipped.
std::vector<std::pair<std::string, std::string>> parse_postmaster_opts(std::string_view text);

// True when `pid` is alive, is not a zombie, runs a postgres binary and its working directory
// is `data_dir` (the postmaster chdirs into its data directory). When /proc/<pid>/cwd cannot be
// read (another user), falls back to the process name. Reads /proc; never blocks.
bool is_postmaster_of(int pid, const std::string& data_dir);

// Reads <data_dir>/postmaster.pid and returns the pid when is_postmaster_of() confirms it.
// A missing, garbage or stale file gives nullopt.
std::optional<int> running_postmaster_pid(const std::string& data_dir);

}  // namespace pghalo::pg
