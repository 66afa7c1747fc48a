// Agents as coroutines: each node's agent code (its cycles, its SIGTERM shutdown) runs on a
// thread of its own, but only one party ever runs at a time: the world (the scheduler, on the
// main thread) or exactly one agent. An agent whose call must wait for virtual time yields the
// turn back to the world, which moves time on, runs the other agents and the background
// events, and hands the turn back when that agent's call is due to return. So a blocked agent
// blocks only itself, and the interleaving is decided by the seed alone.
//
// Thread-safety: the turn is handed over under one mutex, which orders every memory access of
// the party that gives it before those of the party that takes it.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace pghalo::sim {

// Thrown inside an agent's task when its process is killed while it waits: unwinds the task.
struct ProcessKilled {};

class Turns {
 public:
  static constexpr int kWorld = -1;

  // World: let `party` run until it yields or finishes.
  void hand_to(int party);
  // Agent `party`: give the turn back and wait until it is ours again.
  void yield(int party);
  // Agent `party`: wait for our first turn.
  void await(int party);

 private:
  friend class AgentThread;
  std::mutex mu_;
  std::condition_variable changed_;
  int turn_ = kWorld;
};

class AgentThread {
 public:
  AgentThread(Turns& turns, int party);
  ~AgentThread();  // the thread must be idle (no task in progress)
  AgentThread(const AgentThread&) = delete;
  AgentThread& operator=(const AgentThread&) = delete;

  // World: runs `task` on this thread until it yields or ends. Returns true when it ended.
  bool start(std::function<void()> task);
  // World: continues a task that yielded. Returns true when it ended.
  bool resume();
  bool busy() const { return busy_; }
  // The party index, for SimEnv::advance to find the calling agent.
  static int current();

 private:
  void loop();

  Turns& turns_;
  const int party_;
  std::function<void()> task_;
  bool busy_ = false;
  bool quit_ = false;
  std::thread thread_;
};

}  // namespace pghalo::sim
