// Fencer: enforces ha::Fence, the instant after which the local PostgreSQL must not accept
// writes. FencingThread is the real one: a small dedicated thread that sleeps until the deadline
// and then SIGQUITs the postmaster (through `stop_writes`), whatever the HA loop is doing — a
// stalled loop must not keep a primary writable (design.md section 2). The simulator substitutes
// a fencer that fires on virtual time. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "ha/decision.h"

namespace pghalo::agent {

class Fencer {
 public:
  virtual ~Fencer() = default;
  // Replaces the current fence (disarmed, or a deadline on the monotonic clock).
  virtual void apply(const ha::Fence& fence) = 0;
  // How many times the fence fired so far; thread-safe (a job compares it before and after).
  virtual int fired_count() const = 0;
};

// A fence whose deadline has passed fires even when a new fence arrives first: after a host
// freeze the loop may run before the fencing thread, and a decision that lifts or extends the
// fence (paused, or a lease renewed meanwhile) must not cancel writes stopping that are overdue
// (simulator seed 515: a frozen leader came back to a paused cluster led by another member).
inline bool fence_overdue(const ha::Fence& current, MonoTime now) {
  return current.armed && now >= current.writable_until;
}

class FencingThread final : public Fencer {
 public:
  // `stop_writes` must be fast and must not block (it signals the postmaster).
  explicit FencingThread(std::function<void()> stop_writes);
  ~FencingThread() override;

  void apply(const ha::Fence& fence) override;
  // How many times the fence fired (for tests and metrics).
  int fired_count() const override;

 private:
  void watch();

  std::function<void()> stop_writes_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  ha::Fence fence_;
  bool stopping_ = false;
  int fired_ = 0;
  std::thread thread_;
};

}  // namespace pghalo::agent
