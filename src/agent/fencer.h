// Fencer: enforces ha::Fence, the instant after which the local PostgreSQL must not accept
// writes. FencingThread is the real one: a small dedicated thread that sleeps until the deadline
// and then SIGQUITs the postmaster (through `stop_writes`), whatever the HA loop is doing — a
// stalled loop must not keep a primary writable (design.md section 2). The simulator substitutes
// a fencer that fires on virtual time. Thread-safe.
//
// The fence outlives the process (fence_file.h): every fence given to apply() is recorded, and
// inherited() hands a new process the one its predecessor left armed.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/fence_file.h"
#include "ha/decision.h"

namespace pghalo::agent {

class Fencer {
 public:
  virtual ~Fencer() = default;
  // Replaces the current fence (disarmed, or a deadline on the monotonic clock).
  virtual void apply(const ha::Fence& fence) = 0;
  // How many times the fence fired so far; thread-safe (a job compares it before and after).
  virtual int fired_count() const = 0;
  // The fence an earlier agent process of this boot left armed when it died (its deadline may
  // have passed), if any. The agent re-arms it before its first etcd call.
  virtual std::optional<ha::Fence> inherited() const = 0;
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
  // `stop_writes` must be fast and must not block (it signals the postmaster). `store` (may be
  // null: nothing outlives the process) records each fence apply() gets, outside the lock the
  // thread fires under, so a slow disk never delays a fence.
  explicit FencingThread(std::function<void()> stop_writes, std::unique_ptr<FenceStore> store = nullptr);
  ~FencingThread() override;

  void apply(const ha::Fence& fence) override;
  // How many times the fence fired (for tests and metrics).
  int fired_count() const override;
  std::optional<ha::Fence> inherited() const override { return inherited_; }

 private:
  void watch();

  std::function<void()> stop_writes_;
  std::unique_ptr<FenceStore> store_;
  std::optional<ha::Fence> inherited_;
  ha::Fence recorded_;  // what store_ holds; only apply() (one thread) reads and writes it
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  ha::Fence fence_;
  bool stopping_ = false;
  int fired_ = 0;
  std::thread thread_;
};

}  // namespace pghalo::agent
