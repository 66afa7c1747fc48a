// InlineJobRunner: runs a job's body synchronously inside start(), so tests see its outcome in
// the next cycle without threads. Not thread-safe.
#pragma once

#include "agent/fencer.h"
#include "agent/job_runner.h"

namespace pghalo::fakes {

class InlineJobRunner final : public agent::JobRunner {
 public:
  bool start(ha::JobKind kind, bool, agent::JobBody body) override {
    Status s = body();
    finished_ = ha::JobOutcome{kind, s.ok(), s.ok() ? "" : s.error().message};
    ++started_;
    woken_ = true;  // the real runner wakes the loop when a job ends
    return true;
  }
  std::optional<ha::JobRunning> running() const override { return std::nullopt; }
  std::optional<ha::JobOutcome> take_finished() override {
    auto out = std::move(finished_);
    finished_.reset();
    return out;
  }
  int started() const { return started_; }
  // True once after a job ended: the driver runs the agent's next cycle at once, as the real
  // runner's wake-up does.
  bool take_wakeup() {
    bool woken = woken_;
    woken_ = false;
    return woken;
  }

 private:
  std::optional<ha::JobOutcome> finished_;
  int started_ = 0;
  bool woken_ = false;
};

// Remembers the last fence; the test driver fires it against its own clock. recorded() is what
// the production fencer would have in its fence file: the last fence apply() got.
class RecordingFencer final : public agent::Fencer {
 public:
  void apply(const ha::Fence& fence) override {
    fence_ = fence;
    recorded_ = fence;
  }
  const ha::Fence& recorded() const { return recorded_; }
  const ha::Fence& fence() const { return fence_; }
  void fired() {
    fence_.armed = false;
    ++fired_;
  }
  int fired_count() const override { return fired_; }
  std::optional<ha::Fence> inherited() const override { return inherited_; }
  // What a previous agent process left armed, for the next Agent built over this fencer.
  void set_inherited(std::optional<ha::Fence> fence) { inherited_ = fence; }

 private:
  ha::Fence fence_;
  ha::Fence recorded_;
  int fired_ = 0;
  std::optional<ha::Fence> inherited_;
};

}  // namespace pghalo::fakes
