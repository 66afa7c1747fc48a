#include "api/waiter.h"

namespace pghalo::api {

// How often a reply wait looks at the cancel flag: stop() then returns within this time.
constexpr Duration kCancelCheck{50};

bool RealWaiter::sleep(Duration d) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, d, [this] { return cancelled_; });
  return !cancelled_;
}

std::optional<model::CommandReply> RealWaiter::await(std::future<model::CommandReply>& reply,
                                                     Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cancelled()) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= Duration::zero()) return std::nullopt;
    auto slice = left < kCancelCheck ? left : kCancelCheck;
    if (reply.wait_for(slice) == std::future_status::ready) {
      try {
        return reply.get();
      } catch (const std::exception&) {
        return std::nullopt;  // the agent dropped the promise: treat as no answer
      }
    }
  }
  return std::nullopt;
}

void RealWaiter::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

bool RealWaiter::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

}  // namespace pghalo::api
