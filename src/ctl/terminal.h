// The operator's terminal, for main(): questions on stdin/stdout (hidden input for passwords),
// programs that share the terminal (the editor, pg_basebackup's progress), Ctrl-C, and a
// sleep that Ctrl-C cuts short. Not for unit tests (they use fakes of Prompter and
// AttachedProgram); not thread-safe beyond the atomic Ctrl-C flag.
#pragma once

#include <optional>
#include <string>

#include "ctl/context.h"

namespace pghalo::ctl {

class TerminalPrompter final : public Prompter {
 public:
  std::optional<std::string> read_line(const std::string& question, bool hide_input) override;
};

// Installs a SIGINT/SIGTERM handler that sets the flag read by interrupted(); a second Ctrl-C
// ends the process at once.
void install_interrupt_handler();
bool interrupted();

// Sleeps `d` in short steps, returning early after Ctrl-C.
void interruptible_sleep(Duration d);

// fork+exec with the terminal inherited; the program runs in pghaloctl's process group, so
// Ctrl-C reaches it too. After `timeout` it gets SIGTERM, 5 s later SIGKILL. Returns the exit
// code, or -1 when it was killed.
Result<int> run_attached_program(const AttachedProgram& program);

// The whole of stdin (for --apply -, --file -), at most 16 MiB.
std::string read_all_stdin();

}  // namespace pghalo::ctl
