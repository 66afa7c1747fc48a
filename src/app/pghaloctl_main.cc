// main() of pghaloctl: builds the real seams (etcd gateway client, REST client, libpq, process
// runner, clock, terminal) and hands the command line to ctl::run_cli. Wiring only.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "config/config.h"
#include "ctl/cli.h"
#include "ctl/curl_rest_client.h"
#include "ctl/pg_access.h"
#include "ctl/terminal.h"
#include "dcs/etcd/gateway_client.h"
#include "process/process_runner.h"

extern char** environ;  // NOLINT: POSIX

namespace {

using namespace pghalo;  // NOLINT: main only

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

std::chrono::seconds whole_seconds(Duration d) {
  return std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(d));
}

log::Level log_level(const std::map<std::string, std::string>& env) {
  for (const char* name : {"LOGLEVEL", "PATRONI_LOGLEVEL", "PATRONI_LOG_LEVEL"}) {
    auto it = env.find(name);
    if (it == env.end()) continue;
    if (it->second == "DEBUG") return log::Level::kDebug;
    if (it->second == "INFO") return log::Level::kInfo;
    if (it->second == "ERROR" || it->second == "CRITICAL") return log::Level::kError;
  }
  return log::Level::kWarning;
}

}  // namespace

int main(int argc, char** argv) {
  ctl::install_interrupt_handler();
  SystemClock clock;
  SeededRandom random = make_entropy_random();
  process::PosixProcessRunner runner;
  ctl::PgSqlClient sql;
  ctl::TerminalPrompter prompter;

  ctl::CliDeps deps;
  deps.environment = process_environment();
  // Like patronictl: warnings and errors of the libraries only, unless LOGLEVEL says otherwise.
  log::set_level(log_level(deps.environment));
  deps.host = config::HostFacts::current();
  deps.make_kv = [&](const ctl::CtlSettings& s) -> std::unique_ptr<dcs::etcd::KvApi> {
    dcs::etcd::GatewayOptions options;
    options.endpoints = s.etcd.hosts;
    options.protocol = s.etcd.protocol;
    options.tls.cacert = s.etcd.cacert.value_or("");
    options.tls.cert = s.etcd.cert.value_or("");
    options.tls.key = s.etcd.key.value_or("");
    options.tls.key_password = s.etcd.cert_key_password.value_or("");
    options.username = s.etcd.username.value_or("");
    options.password = s.etcd.password.value_or("");
    options.use_proxies = s.etcd.use_proxies;
    options.retry_timeout = whole_seconds(s.timeout);
    return std::make_unique<dcs::etcd::GatewayClient>(options, clock, random);
  };
  deps.make_rest = [](const ctl::CtlSettings& s) -> std::unique_ptr<ctl::RestClient> {
    return std::make_unique<ctl::CurlRestClient>(s.rest);
  };
  deps.sql = &sql;
  deps.runner = &runner;
  deps.clock = &clock;
  deps.sleep = ctl::interruptible_sleep;
  deps.out = &std::cout;
  deps.err = &std::cerr;
  deps.prompter = &prompter;
  deps.stdout_is_terminal = ::isatty(1) == 1;
  deps.interrupted = ctl::interrupted;
  deps.run_attached = ctl::run_attached_program;
  deps.read_stdin = ctl::read_all_stdin;

  std::vector<std::string> args(argv + 1, argv + argc);
  return ctl::run_cli(args, deps);
}
