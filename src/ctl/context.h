// Context: everything a pghaloctl command touches outside its own logic, passed in so commands
// run unchanged against fakes in unit tests: etcd (KvApi), the members' REST API, PostgreSQL
// (SqlClient), external programs (ProcessRunner), the clock and sleeping, the output streams
// and the questions asked to the operator.
//
// Commands return Status: kInvalidArgument means the operator asked for something that cannot
// be (bad option, unknown member) and exits 2; any other error is a runtime failure (exit 1).
// The message is printed as "pghaloctl: <message>". Not thread-safe beyond what each seam
// promises: a command runs on one thread and starts helper threads only around RestClient.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "ctl/rest_client.h"
#include "ctl/settings.h"
#include "dcs/etcd/etcd_store.h"
#include "dcs/etcd/kv_api.h"
#include "model/cluster.h"
#include "pg/pg_session.h"
#include "process/process_runner.h"

namespace pghalo::ctl {

// Questions to the operator. The real one reads the terminal (or piped stdin).
class Prompter {
 public:
  virtual ~Prompter() = default;
  // Writes `question` and reads one line (without its newline). nullopt at end of input.
  virtual std::optional<std::string> read_line(const std::string& question, bool hide_input) = 0;
};

// SQL against a member (query, lag). The real one uses pg::PgSession (bounded waits).
class SqlClient {
 public:
  virtual ~SqlClient() = default;
  // Connects, runs `sql` (one or more statements) and disconnects, all within `timeout`.
  virtual Result<std::vector<pg::QueryResult>> run(const pg::PgSession::Keywords& keywords,
                                                   const std::string& sql, Duration timeout) = 0;
};

// A program that shares the terminal with pghaloctl.
struct AttachedProgram {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to pghaloctl's environment
  std::optional<Duration> timeout;         // then its process group is terminated
};

struct Context {
  Context(CtlSettings settings_, dcs::etcd::KvApi& kv_, RestClient& rest_, SqlClient& sql_,
          process::ProcessRunner& runner_, const Clock& clock_,
          std::function<void(Duration)> sleep_, std::ostream& out_, std::ostream& err_,
          Prompter& prompter_)
      : settings(std::move(settings_)), kv(kv_), rest(rest_), sql(sql_), runner(runner_),
        clock(clock_), sleep(std::move(sleep_)), out(out_), err(err_), prompter(prompter_) {}

  CtlSettings settings;
  dcs::etcd::KvApi& kv;
  RestClient& rest;
  SqlClient& sql;
  process::ProcessRunner& runner;
  const Clock& clock;
  std::function<void(Duration)> sleep;  // the real one sleeps; fakes advance a ManualClock
  std::ostream& out;
  std::ostream& err;
  Prompter& prompter;
  bool interactive = false;  // stdout is a terminal: progress lines are redrawn in place
  bool color = false;        // colour the pretty tables
  // True once the operator pressed Ctrl-C: watch loops and waits end early.
  std::function<bool()> interrupted = [] { return false; };
  // Runs a program attached to the operator's terminal (the editor of edit-config, the
  // progress of pg_basebackup) and returns its exit code (-1 when killed or timed out). Unset:
  // no such program can be run.
  std::function<Result<int>(const AttachedProgram& program)> run_attached;
};

// The cluster named on the command line, else the configuration's scope.
Result<std::string> cluster_name(const Context& ctx, const std::optional<std::string>& given);

// The etcd store for `scope` in the configured namespace (reads and writes within the timeout).
std::unique_ptr<dcs::etcd::EtcdStore> open_store(Context& ctx, const std::string& scope);

// One linearizable read of the cluster. The error names the endpoints that were tried and
// what to check.
Result<model::ClusterState> read_cluster(Context& ctx, dcs::ClusterStore& store,
                                         const std::string& scope);

// patronictl's click.confirm: "<question> [y/N]: "; anything but y/yes is no. Without an answer
// (no terminal, end of input) the command stops with a hint to use --force.
Result<bool> confirm(Context& ctx, const std::string& question);
// click.prompt: "<question> [default]: " (the default when the answer is empty).
Result<std::string> ask(Context& ctx, const std::string& question,
                        const std::optional<std::string>& default_value);

// Local time as patronictl prints it: "2024-05-02 10:11:12.345678", cut to `fraction_digits`
// digits after the second (0: no fraction).
std::string local_timestamp(WallTime t, int fraction_digits);

// "3.2 s", "45 s", "2 min 05 s".
std::string format_duration(std::chrono::nanoseconds d);

// 0 -> "0 B", 1536 -> "1.5 kB", 16 MiB -> "16 MB" (powers of 1024, PostgreSQL's unit names).
std::string human_bytes(std::uint64_t bytes);

// Runs `one` once, or again every `watch` seconds (clearing a terminal first when `clear`)
// until `count` runs, Ctrl-C or an error.
Status watching(Context& ctx, std::optional<double> watch, std::optional<int> count, bool clear,
                const std::function<Status()>& one);

// The runtime error for an aborted command (exit 1).
Error aborted(const std::string& what);
// A bad request by the operator (exit 2).
Error invalid(const std::string& message);

}  // namespace pghalo::ctl
