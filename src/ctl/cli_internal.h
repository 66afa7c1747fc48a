// Internal to the command line (cli*.cc): the parsed state shared by the subcommand
// definitions, and the helpers they use to declare patronictl's common options.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ctl/cli.h"
#include "ctl/commands.h"

namespace pghalo::ctl::cli {

using Action = std::function<Status(Context&)>;

struct State {
  CliDeps* deps = nullptr;
  GlobalOptions global;
  double request_timeout = 10;
  bool no_color = false;
  Action action;             // set by the chosen subcommand's callback
  bool needs_config = true;  // false: `version` without a cluster
};

// Options shared by many subcommands; each keeps its value and whether it was given.
struct Common {
  CLI::Option* group = nullptr;
  CLI::Option* watch = nullptr;
  CLI::Option* watch_flag = nullptr;
  std::shared_ptr<int> group_value = std::make_shared<int>(0);
  std::shared_ptr<double> watch_value = std::make_shared<double>(2);
  std::shared_ptr<bool> watch_every_2s = std::make_shared<bool>(false);
  std::shared_ptr<int> count = std::make_shared<int>(0);
  CLI::Option* count_option = nullptr;
};

// --group (Citus): accepted for patronictl compatibility and refused when given.
void add_group(CLI::App* sub, Common& common);
// -W, -w/--watch and pghaloctl's --count.
void add_watch(CLI::App* sub, Common& common);
// A refusal of --group, or ok.
Status check_group(const Common& common);
std::optional<double> watch_of(const Common& common);
std::optional<int> count_of(const Common& common);

// "-r/--role" with patronictl's choices.
CLI::Option* add_role(CLI::App* sub, std::string& role, const std::string& help);

void add_read_commands(CLI::App& app, State& state);
void add_member_commands(CLI::App& app, State& state);
void add_change_commands(CLI::App& app, State& state);

}  // namespace pghalo::ctl::cli
