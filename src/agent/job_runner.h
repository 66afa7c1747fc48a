// JobRunner: runs the long PostgreSQL actions (bootstrap, clone, start, rewind, promote, stop)
// one at a time, off the HA loop, so the loop keeps renewing the lease while they run.
// ThreadJobRunner is the real one (a single worker thread); the simulator substitutes one that
// completes jobs on virtual time. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "ha/decision.h"

namespace pghalo::agent {

using JobBody = std::function<Status()>;

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Starts `body` unless a job is running (then returns false and does nothing).
  virtual bool start(ha::JobKind kind, bool may_write, JobBody body) = 0;
  virtual std::optional<ha::JobRunning> running() const = 0;
  // The outcome of the last job that ended, once (the next call returns nullopt).
  virtual std::optional<ha::JobOutcome> take_finished() = 0;
};

// One worker thread. `on_finished` is called (from the worker) after every job, to wake the loop.
class ThreadJobRunner final : public JobRunner {
 public:
  ThreadJobRunner(const Clock& clock, std::function<void()> on_finished);
  ~ThreadJobRunner() override;  // waits for a running job: jobs are bounded by their timeouts

  bool start(ha::JobKind kind, bool may_write, JobBody body) override;
  std::optional<ha::JobRunning> running() const override;
  std::optional<ha::JobOutcome> take_finished() override;

 private:
  void work();

  const Clock& clock_;
  std::function<void()> on_finished_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<ha::JobRunning> running_;
  JobBody pending_;
  std::optional<ha::JobOutcome> finished_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace pghalo::agent
