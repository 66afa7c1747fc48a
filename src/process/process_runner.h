// ProcessRunner: run an external program (initdb, pg_ctl, pg_basebackup, pg_rewind, callbacks)
// with a deadline, in its own process group, capturing the tail of its output. The real
// implementation is PosixProcessRunner; tests substitute scripted fakes.
//
// Not here: shell parsing (argv is passed as is), daemon supervision (a child that daemonises,
// like the postmaster under pg_ctl, is not tracked once the direct child has exited), privilege
// changes.
//
// Thread-safe: several threads may run processes at once. PosixProcessRunner installs no
// SIGCHLD handler and waits only for the pid it started, so it never steals another thread's
// children; it does need that nobody else reaps its children (no SIGCHLD set to SIG_IGN).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace pghalo::process {

struct ProcessSpec {
  std::vector<std::string> argv;                // argv[0] is a path or a name found in PATH
  std::map<std::string, std::string> env;       // added to (and overriding) the inherited env
  std::vector<std::string> unset_env;           // removed from the inherited env
  std::string working_dir;                      // empty: inherit
  Duration timeout = std::chrono::seconds(60);  // then the group gets SIGTERM, 2 s later SIGKILL
  std::string stdin_data;                       // written to the child's stdin, then closed
  std::size_t output_tail_bytes = 64 * 1024;    // stdout+stderr kept (last bytes)
};

struct ProcessResult {
  int exit_code = -1;     // -1 when killed by a signal or timed out
  int signal = 0;         // terminating signal, if any
  bool timed_out = false;
  std::string output;     // merged stdout+stderr tail
  Duration elapsed{0};

  bool succeeded() const { return exit_code == 0 && !timed_out; }
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Error only when the program could not be started at all (not found, fork failed).
  virtual Result<ProcessResult> run(const ProcessSpec& spec) = 0;
};

// posix_spawn in a new process group with default signal dispositions, fds >= 3 closed, stdin
// from a pipe, stdout+stderr merged into one pipe. Blocks for at most spec.timeout + 2 s (plus
// the time the kernel takes to deliver SIGKILL).
class PosixProcessRunner final : public ProcessRunner {
 public:
  Result<ProcessResult> run(const ProcessSpec& spec) override;
};

}  // namespace pghalo::process
