// A fixed set of threads running queued tasks, with a bounded queue: submit() refuses work when
// the queue is full instead of letting memory grow (the HTTP server answers 503 then). Used for
// REST handlers that may block. stop() drops tasks not yet started and joins the threads after
// the running tasks return. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pghalo::api {

class WorkerPool {
 public:
  WorkerPool(int threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping; the task is not run then.
  bool submit(std::function<void()> task);
  void stop();

 private:
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pghalo::api
