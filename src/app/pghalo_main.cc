// pghalo: the PostgreSQL high-availability agent. `pghalo CONFIG.yml` runs it (like
// `patroni CONFIG.yml`); `pghalo --validate-config CONFIG.yml` checks a file and exits.
#include <signal.h>

#include <cstring>
#include <iostream>
#include <thread>

#include "app/daemon.h"
#include "common/log.h"
#include "config/config.h"

namespace {

constexpr const char* kUsage =
    "Usage: pghalo [--validate-config] CONFIG_FILE\n"
    "       pghalo --version\n"
    "\n"
    "Runs the pghalo agent for the PostgreSQL server described by CONFIG_FILE (Patroni's YAML\n"
    "format). Without CONFIG_FILE the configuration comes from PATRONI_CONFIGURATION or the\n"
    "PATRONI_* environment variables.\n"
    "\n"
    "  --validate-config  check the file, print notices, warnings and errors, exit 1 on an error\n"
    "  --version          print the version and exit\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop (PostgreSQL is stopped and the leader key released),\n"
    "SIGHUP re-reads CONFIG_FILE.\n";

void configure_logging(const pghalo::config::Config& config) {
  using pghalo::log::Level;
  std::string level = config.log.level;
  if (level == "DEBUG") pghalo::log::set_level(Level::kDebug);
  else if (level == "WARNING" || level == "WARN") pghalo::log::set_level(Level::kWarning);
  else if (level == "ERROR" || level == "CRITICAL") pghalo::log::set_level(Level::kError);
  else pghalo::log::set_level(Level::kInfo);
  if (config.log.format == "json") pghalo::log::set_format(pghalo::log::Format::kJson);
}

}  // namespace

int main(int argc, char** argv) {
  bool validate = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--validate-config") {
      validate = true;
    } else if (arg == "--version" || arg == "-V") {
      std::cout << "pghalo 0.1.0 (Patroni 3.0.2 compatible)\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "pghalo: unknown option '" << arg << "'\n" << kUsage;
      return 2;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::cerr << "pghalo: more than one configuration file given ('" << path << "', '" << arg
                << "')\n";
      return 2;
    }
  }
  if (validate) {
    if (path.empty()) {
      std::cerr << "pghalo: --validate-config needs a CONFIG_FILE\n";
      return 2;
    }
    return pghalo::config::validate_config_command(path, std::cout);
  }

  // Signals are taken synchronously by one thread: no async-signal-safety traps, and every other
  // thread (curl, HTTP, jobs) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto loaded = pghalo::config::load_local_config(path);
  for (const auto& d : loaded.diagnostics) {
    using Severity = pghalo::config::Diagnostic::Severity;
    std::string text = pghalo::config::format_diagnostic(d);
    if (d.severity == Severity::kError) pghalo::log::error("config", text);
    else if (d.severity == Severity::kWarning) pghalo::log::warn("config", text);
    else pghalo::log::info("config", text);
  }
  if (!loaded.ok()) {
    pghalo::log::error("config", "refusing to start: the configuration has errors");
    return 1;
  }
  configure_logging(*loaded.config);
  // Like Patroni: the PATRONI_* variables (passwords among them) are read once and not passed on
  // to PostgreSQL, pg_basebackup or callbacks.
  pghalo::config::clear_patroni_environment();

  auto daemon = pghalo::app::Daemon::create(*loaded.config, path);
  if (!daemon.ok()) {
    pghalo::log::error("startup", daemon.error().message);
    return 1;
  }
  pghalo::app::Daemon& d = **daemon;
  std::thread signal_thread([&d, signals] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        pghalo::log::info("signal", "SIGHUP: reloading the configuration");
        d.reload();
        continue;
      }
      pghalo::log::info("signal", std::string(strsignal(sig)) + ": shutting down");
      d.stop();
      return;
    }
  });
  int code = d.run();
  if (signal_thread.joinable()) {
    // run() may end on a fatal decision without a signal: wake the signal thread to exit.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  }
  return code;
}
