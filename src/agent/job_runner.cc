#include "agent/job_runner.h"

#include "common/log.h"

namespace pghalo::agent {

ThreadJobRunner::ThreadJobRunner(const Clock& clock, std::function<void()> on_finished)
    : clock_(clock), on_finished_(std::move(on_finished)), worker_([this] { work(); }) {}

ThreadJobRunner::~ThreadJobRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

bool ThreadJobRunner::start(ha::JobKind kind, bool may_write, JobBody body) {
  {
    std::lock_guard lock(mutex_);
    if (running_ || stopping_) return false;
    running_ = ha::JobRunning{kind, clock_.now(), may_write};
    pending_ = std::move(body);
    finished_.reset();
  }
  wake_.notify_all();
  return true;
}

std::optional<ha::JobRunning> ThreadJobRunner::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::optional<ha::JobOutcome> ThreadJobRunner::take_finished() {
  std::lock_guard lock(mutex_);
  auto out = std::move(finished_);
  finished_.reset();
  return out;
}

void ThreadJobRunner::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || pending_; });
    if (!pending_) return;  // stopping with nothing to do
    JobBody body = std::move(pending_);
    pending_ = nullptr;
    ha::JobKind kind = running_->kind;
    lock.unlock();

    std::string name(ha::job_kind_name(kind));
    MonoTime started = clock_.now();
    log::info("job_started", name + " started");
    Status status = body();
    auto took = std::chrono::duration_cast<Duration>(clock_.now() - started);
    if (status.ok()) {
      log::info("job_finished", name + " finished", {{"seconds", to_seconds(took)}});
    } else {
      log::error("job_failed", name + " failed: " + status.error().message,
                 {{"seconds", to_seconds(took)}});
    }

    lock.lock();
    running_.reset();
    finished_ = ha::JobOutcome{kind, status.ok(), status.ok() ? "" : status.error().message};
    lock.unlock();
    if (on_finished_) on_finished_();
    lock.lock();
  }
}

}  // namespace pghalo::agent
