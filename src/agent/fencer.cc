#include "agent/fencer.h"

#include "common/log.h"

namespace pghalo::agent {

FencingThread::FencingThread(std::function<void()> stop_writes)
    : stop_writes_(std::move(stop_writes)), thread_([this] { watch(); }) {}

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
  {
    std::lock_guard lock(mutex_);
    if (fence_ == fence) return;
    overdue = fence_overdue(fence_, std::chrono::steady_clock::now());
    if (overdue) ++fired_;
    fence_ = fence;
  }
  if (overdue) {
    log::error("fence_fired", "the fence's deadline passed before a new one replaced it; stopping PostgreSQL writes now");
    stop_writes_();
  }
  changed_.notify_all();
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
