#include "agent/fencer.h"

#include "common/log.h"

namespace pghalo::agent {

FencingThread::FencingThread(std::function<void()> stop_writes, std::unique_ptr<FenceStore> store)
    : stop_writes_(std::move(stop_writes)),
      store_(std::move(store)),
      inherited_(store_ ? store_->load() : std::nullopt),
      recorded_(inherited_.value_or(ha::Fence::disarmed())),
      thread_([this] { watch(); }) {}

FencingThread::~FencingThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void FencingThread::apply(const ha::Fence& fence) {
  bool overdue = false;
  bool changed = false;
  {
    std::lock_guard lock(mutex_);
    if (fence_ != fence) {
      changed = true;
      overdue = fence_overdue(fence_, std::chrono::steady_clock::now());
      if (overdue) ++fired_;
      fence_ = fence;
    }
  }
  if (overdue) {
    log::error("fence_fired", "the fence's deadline passed before a new one replaced it; stopping PostgreSQL writes now");
    stop_writes_();
  }
  if (changed) changed_.notify_all();
  // Compared with what was recorded, not with fence_: after the thread fired (and disarmed
  // fence_) a disarmed fence must still clear the record, or a later process would re-arm it.
  if (store_ && fence != recorded_) {
    store_->save(fence);
    recorded_ = fence;
  }
}

int FencingThread::fired_count() const {
  std::lock_guard lock(mutex_);
  return fired_;
}

void FencingThread::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!fence_.armed) {
      changed_.wait(lock);
      continue;
    }
    // MonoTime is steady_clock's time_point: wait_until uses the monotonic clock.
    MonoTime deadline = fence_.writable_until;
    if (changed_.wait_until(lock, deadline, [&] { return stopping_ || fence_.writable_until != deadline || !fence_.armed; })) {
      continue;  // the fence moved (usually: extended by a renewed lease) or we stop
    }
    // Deadline passed with the fence unchanged: stop writes now. Disarm so we fire once; the
    // next cycle re-arms if PostgreSQL is still writable.
    fence_.armed = false;
    ++fired_;
    lock.unlock();
    log::error("fence_fired",
               "the leader lease could not be confirmed in time; stopping PostgreSQL writes now");
    stop_writes_();
    lock.lock();
  }
}

}  // namespace pghalo::agent
