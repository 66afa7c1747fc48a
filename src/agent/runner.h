// AgentRunner: the real loop around Agent: run a cycle, sleep until the next one is due or
// something wakes it (an etcd watch event, a REST command, a finished job), repeat; on stop,
// run the shutdown sequence. Thread-safety: wake() and request_stop() from any thread; run()
// from one.
#pragma once

#include <condition_variable>
#include <mutex>

#include "agent/agent.h"

namespace pghalo::agent {

class AgentRunner {
 public:
  AgentRunner(Agent& agent, const Clock& clock) : agent_(agent), clock_(clock) {}

  // Runs cycles until request_stop() or a fatal decision; then shuts the agent down.
  // Returns the fatal message, if any.
  std::optional<std::string> run();
  void wake();
  void request_stop();

 private:
  Agent& agent_;
  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stop_ = false;
  Duration status_interval_ = std::chrono::seconds(1);
};

}  // namespace pghalo::agent
