#include "sim_thread.h"

namespace pghalo::sim {
namespace {

thread_local int t_party = Turns::kWorld;

}  // namespace

void Turns::hand_to(int party) {
  std::unique_lock lock(mu_);
  turn_ = party;
  changed_.notify_all();
  changed_.wait(lock, [&] { return turn_ == kWorld; });
}

void Turns::yield(int party) {
  std::unique_lock lock(mu_);
  turn_ = kWorld;
  changed_.notify_all();
  changed_.wait(lock, [&] { return turn_ == party; });
}

void Turns::await(int party) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return turn_ == party; });
}

AgentThread::AgentThread(Turns& turns, int party)
    : turns_(turns), party_(party), thread_([this] { loop(); }) {}

AgentThread::~AgentThread() {
  quit_ = true;
  turns_.hand_to(party_);
  thread_.join();
}

int AgentThread::current() { return t_party; }

void AgentThread::loop() {
  t_party = party_;
  while (true) {
    turns_.await(party_);
    if (quit_) break;
    try {
      task_();
    } catch (const ProcessKilled&) {
      // The process died while it waited; whatever it was doing is gone.
    }
    task_ = nullptr;
    busy_ = false;
    std::unique_lock lock(turns_.mu_);
    turns_.turn_ = Turns::kWorld;
    turns_.changed_.notify_all();
  }
  std::unique_lock lock(turns_.mu_);
  turns_.turn_ = Turns::kWorld;
  turns_.changed_.notify_all();
}

bool AgentThread::start(std::function<void()> task) {
  task_ = std::move(task);
  busy_ = true;
  turns_.hand_to(party_);
  return !busy_;
}

bool AgentThread::resume() {
  turns_.hand_to(party_);
  return !busy_;
}

}  // namespace pghalo::sim
