// Test support for the ctl module: a Context whose seams are fakes with state. etcd is a FakeKv
// that can be loaded with the keys Patroni 3.0.2 wrote in a recorded cluster
// (tests/data/patroni-fixtures/<scenario>/etcd-keys.json); the members' REST API answers from
// handlers the test installs; SQL, programs and the operator's answers are scripted; sleeping
// advances a ManualClock, so waits cost no time.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/cli.h"
#include "ctl/context.h"
#include "tests/fakes/fake_kv.h"

namespace pghalo::ctl::testing {

// Answers REST calls with the first handler registered for "<METHOD> <url>" (or "<METHOD> *"
// for any URL); unknown requests are refused like a closed port. Records every request.
class FakeRest final : public RestClient {
 public:
  using Handler = std::function<Result<RestResponse>(const RestRequest&)>;
  void on(const std::string& method_and_url, Handler handler);
  void reply(const std::string& method_and_url, long status, std::string body);
  Result<RestResponse> send(const RestRequest& request) override;
  std::vector<RestRequest> requests();
  std::vector<RestRequest> requests_to(const std::string& method, const std::string& endpoint);

 private:
  std::mutex mu_;
  std::map<std::string, Handler> handlers_;
  std::vector<RestRequest> requests_;
};

class FakeSql final : public SqlClient {
 public:
  using Handler = std::function<Result<std::vector<pg::QueryResult>>(
      const pg::PgSession::Keywords&, const std::string& sql)>;
  Handler handler;
  std::vector<std::string> statements;
  Result<std::vector<pg::QueryResult>> run(const pg::PgSession::Keywords& keywords,
                                           const std::string& sql, Duration timeout) override;
};

class FakeRunner final : public process::ProcessRunner {
 public:
  std::function<Result<process::ProcessResult>(const process::ProcessSpec&)> handler;
  std::vector<process::ProcessSpec> runs;
  Result<process::ProcessResult> run(const process::ProcessSpec& spec) override;
};

class FakePrompter final : public Prompter {
 public:
  std::vector<std::string> answers;  // consumed in order; none left: end of input
  std::vector<std::string> questions;
  std::optional<std::string> read_line(const std::string& question, bool hide_input) override;
};

// A member's /patroni document as Patroni 3.0.2 serves it.
std::string patroni_status(const std::string& role, const std::string& state,
                           std::uint64_t lsn, int timeline = 1);

struct CtlFixture {
  ManualClock clock;
  fakes::FakeKv kv{clock};
  FakeRest rest;
  FakeSql sql;
  FakeRunner runner;
  FakePrompter prompter;
  std::ostringstream out, err;
  CtlSettings settings;
  std::optional<Context> ctx;

  // Settings for cluster `scope` under `namespace_` (pglab under /service, like the fixtures).
  explicit CtlFixture(std::string scope = "pglab", std::string namespace_ = "/service");
  // Loads a recorded scenario's etcd keys ("healthy", "after-failover", ...).
  void load_scenario(const std::string& scenario);
  void put(const std::string& relative_key, const std::string& value);
  // Each member of the loaded scenario answers GET /patroni like Patroni does.
  void serve_statuses();
  Context& context();
  // Runs the whole command line (fakes behind it); returns the exit code. `run_environment`
  // is added to its environment; `run_on_terminal` pretends stdout is a terminal.
  int run(const std::vector<std::string>& args);
  std::map<std::string, std::string> run_environment;
  bool run_on_terminal = false;
  std::string output() const { return out.str(); }
  std::string errors() const { return err.str(); }
};

// Compares `actual` with src/ctl/testdata/<name> (rewritten when PGHALO_UPDATE_GOLDEN=1).
std::string golden(const std::string& name, const std::string& actual);
// A patronictl fixture's recorded output without its "$ command" and "# rc" lines.
std::string patronictl_output(const std::string& scenario, const std::string& file);

}  // namespace pghalo::ctl::testing
