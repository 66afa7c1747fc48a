// pghaloctl's command line: patronictl's global options, subcommands and their options (CLI11),
// turned into calls of the command functions (commands.h) with a Context built from the
// configuration. Exit codes: 0 success, 1 a failure at run time, 2 a bad command line,
// configuration or request (with a message naming the problem, never a stack trace).
//
// Everything real comes in through CliDeps, so the whole command line can run against fakes.
// Not thread-safe: one run at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "ctl/context.h"

namespace pghalo::ctl {

struct CliDeps {
  std::map<std::string, std::string> environment;
  config::HostFacts host;
  std::function<std::unique_ptr<dcs::etcd::KvApi>(const CtlSettings&)> make_kv;
  std::function<std::unique_ptr<RestClient>(const CtlSettings&)> make_rest;
  SqlClient* sql = nullptr;
  process::ProcessRunner* runner = nullptr;
  const Clock* clock = nullptr;
  std::function<void(Duration)> sleep;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  Prompter* prompter = nullptr;
  bool stdout_is_terminal = false;
  std::function<bool()> interrupted = [] { return false; };
  std::function<Result<int>(const AttachedProgram&)> run_attached;
  std::function<std::string()> read_stdin = [] { return std::string(); };
};

// `args` excludes the program name. Returns the exit code.
int run_cli(const std::vector<std::string>& args, CliDeps& deps);

// Exit code for a command's error: 2 for kInvalidArgument, else 1.
int exit_code_for(const Error& error);

}  // namespace pghalo::ctl
