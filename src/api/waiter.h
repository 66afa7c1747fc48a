// How blocking REST handlers wait: between switchover polls and for the agent's reply to a
// command. A seam so unit tests run without real time (a fake advances a manual clock), and so
// stopping the server wakes every waiting handler at once. RealWaiter is thread-safe.
#pragma once

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>

#include "common/clock.h"
#include "model/command.h"

namespace pghalo::api {

class Waiter {
 public:
  virtual ~Waiter() = default;
  // Waits `d`; false when cancelled (the server is stopping).
  virtual bool sleep(Duration d) = 0;
  // Waits for the agent's reply up to `timeout`; nullopt on timeout or cancellation.
  virtual std::optional<model::CommandReply> await(std::future<model::CommandReply>& reply,
                                                   Duration timeout) = 0;
  // Makes every current and later wait return at once.
  virtual void cancel() = 0;
};

class RealWaiter final : public Waiter {
 public:
  bool sleep(Duration d) override;
  std::optional<model::CommandReply> await(std::future<model::CommandReply>& reply,
                                           Duration timeout) override;
  void cancel() override;

 private:
  bool cancelled() const;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

}  // namespace pghalo::api
