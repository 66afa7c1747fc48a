#include "agent/runner.h"

#include "common/log.h"

namespace pghalo::agent {

std::optional<std::string> AgentRunner::run() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) break;
      woken_ = false;
    }
    MonoTime started = clock_.now();
    agent_.run_cycle();
    if (agent_.fatal()) break;
    Duration took = std::chrono::duration_cast<Duration>(clock_.now() - started);
    if (took > agent_.ha_config().loop_wait) {
      log::warn("loop_overrun", "the cycle took longer than loop_wait; running the next one now",
                {{"seconds", to_seconds(took)}});
    }
    // Until the next cycle: refresh the REST status every status_interval_. MonoTime is
    // steady_clock's, so wait_until measures on the monotonic clock.
    while (true) {
      MonoTime due = agent_.next_wakeup();
      MonoTime refresh_at = clock_.now() + status_interval_;
      std::unique_lock lock(mutex_);
      bool interrupted = cv_.wait_until(lock, std::min(due, refresh_at), [this] { return stop_ || woken_; });
      if (interrupted || clock_.now() >= due) break;
      lock.unlock();
      agent_.refresh_status();
    }
  }
  if (agent_.fatal()) return agent_.fatal();
  agent_.shutdown();
  return std::nullopt;
}

void AgentRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void AgentRunner::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
}

}  // namespace pghalo::agent
