// SimEnv: what the simulated components (etcd links, PostgreSQL, job runners, peers) ask of the
// world that drives them: the global instant, letting time pass inside a call, the seeded random
// source, timed callbacks, and the probe counters. Implemented by World (world.h).
// Not thread-safe: one simulation runs on one thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/random.h"
#include "sim_clock.h"

namespace pghalo::sim {

class SimEnv {
 public:
  virtual ~SimEnv() = default;

  virtual Ms now() const = 0;
  // Time passes while a call is in flight (a delayed message, a timeout). Background events that
  // fall due meanwhile (fences, job ends, client writes, replication) run, invariants are
  // checked; agent cycles and faults wait for the call to return.
  virtual void advance(Ms duration) = 0;
  virtual Random& random() = 0;
  // Runs `what` at global instant `at` as a background event (it must not touch agents).
  virtual void at(Ms at, std::string label, std::function<void()> what) = 0;
  // Counts a rare branch for the probe table.
  virtual void probe(std::string_view name) = 0;
  // A line of the readable trace (only kept when tracing).
  virtual void note(std::string_view who, std::string_view line) = 0;
  virtual bool tracing() const = 0;
};

}  // namespace pghalo::sim
