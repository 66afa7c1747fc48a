// Daemon: every real object of one pghalo process, built from the configuration, and the order
// in which they start and stop. The one place real implementations meet (design.md section 4).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace pghalo::app {

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(config::Config config, std::string config_path);
  ~Daemon();

  // Runs until stop() (SIGTERM/SIGINT) or a fatal decision; returns the process exit code.
  int run();
  void stop();    // thread-safe; async-signal-unsafe (call from the signal thread)
  void reload();  // SIGHUP: re-read the configuration file

 private:
  struct Parts;
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace pghalo::app
