// The parts of one agent process that are not the Agent: a job runner whose jobs take virtual
// time (SimJobRunner), the fencing thread (SimFencer: it only remembers the deadline; the world
// fires it when the node's clock passes it), and the REST client towards the other members
// (SimPeerClient, following the partitions). Not thread-safe.
#pragma once

#include <functional>
#include <optional>

#include "agent/fencer.h"
#include "agent/job_runner.h"
#include "model/status.h"
#include "peer/peer_client.h"
#include "sim_clock.h"
#include "sim_env.h"
#include "sim_postgres.h"

namespace pghalo::sim {

struct JobTiming {
  Ms duration = 0;
  PgPlan plan;
};

class SimJobRunner final : public agent::JobRunner {
 public:
  using Planner = std::function<JobTiming(ha::JobKind kind)>;

  SimJobRunner(SimEnv& env, const NodeClock& clock, SimPostgres& pg, Planner planner,
               std::function<void(const ha::JobOutcome&)> on_finished)
      : env_(env), clock_(clock), pg_(pg), planner_(std::move(planner)),
        on_finished_(std::move(on_finished)) {}

  bool start(ha::JobKind kind, bool may_write, agent::JobBody body) override;
  std::optional<ha::JobRunning> running() const override { return running_; }
  std::optional<ha::JobOutcome> take_finished() override;

  // The global instant the running job ends.
  std::optional<Ms> due() const { return running_ ? std::optional(ends_at_) : std::nullopt; }
  // The host was frozen for `d`: the job ends that much later.
  void postpone(Ms d) { ends_at_ += d; }
  // Runs the body now (its PostgreSQL operations happen at the end of the job).
  void complete();
  // The agent process died; the job's child goes on (or not) without anyone to tell.
  void detach() { on_finished_ = nullptr; }

 private:
  SimEnv& env_;
  const NodeClock& clock_;
  SimPostgres& pg_;
  Planner planner_;
  std::function<void(const ha::JobOutcome&)> on_finished_;
  std::optional<ha::JobRunning> running_;
  agent::JobBody body_;
  PgPlan plan_;
  Ms ends_at_ = 0;
  std::optional<ha::JobOutcome> finished_;
};

// Same contract as agent::FencingThread: apply() replaces the fence; once fired it is disarmed
// until a cycle applies a fence again. Every fence apply() gets is recorded in `recorded`, the
// node's fence file, which outlives the process (a SIGKILL or SIGTERM) but not the host.
class SimFencer final : public agent::Fencer {
 public:
  // `fire` stops the node's writes; `now` is the node's monotonic clock.
  SimFencer(std::function<MonoTime()> now, std::function<void()> fire, ha::Fence& recorded)
      : now_(std::move(now)), fire_(std::move(fire)), recorded_(recorded) {
    if (recorded_.armed) inherited_ = recorded_;
  }
  void apply(const ha::Fence& fence) override {
    recorded_ = fence;
    if (fence_ == fence) return;
    bool overdue = agent::fence_overdue(fence_, now_());
    if (overdue) fired();
    fence_ = fence;
    if (overdue) fire_();
  }
  const ha::Fence& fence() const { return fence_; }
  void fired() {
    fence_.armed = false;
    ++fired_;
  }
  int fired_count() const override { return fired_; }
  std::optional<ha::Fence> inherited() const override { return inherited_; }

 private:
  std::function<MonoTime()> now_;
  std::function<void()> fire_;
  ha::Fence& recorded_;
  std::optional<ha::Fence> inherited_;
  ha::Fence fence_;
  int fired_ = 0;
};

// What one member's REST API answers another (decided by the world).
struct PeerAnswer {
  bool answers = false;                                   // a reply comes back
  bool silent = false;   // no reply at all (partition, frozen host): the caller waits it out
  Ms delay = 0;          // round trip when it answers
  std::shared_ptr<const model::StatusSnapshot> snapshot;  // from its last cycle
};

class SimPeerClient final : public peer::PeerClient {
 public:
  using Ask = std::function<PeerAnswer(const std::string& api_url)>;
  // Hands an answered POST /failsafe to the member behind api_url; true when it accepts it.
  using Deliver = std::function<bool(const std::string& api_url, const nlohmann::json& body)>;
  SimPeerClient(SimEnv& env, Ask ask, Deliver deliver)
      : env_(env), ask_(std::move(ask)), deliver_(std::move(deliver)) {}

  std::vector<model::PeerStatus> fetch_status(const std::vector<peer::PeerTarget>& targets,
                                              Duration timeout) override;
  std::vector<peer::FailsafeReply> post_failsafe(const std::vector<peer::PeerTarget>& targets,
                                                 const nlohmann::json& body,
                                                 Duration timeout) override;

 private:
  // Asks every target at once: the call lasts as long as the slowest answer, at most `timeout`.
  std::vector<PeerAnswer> ask_all(const std::vector<peer::PeerTarget>& targets, Duration timeout);

  SimEnv& env_;
  Ask ask_;
  Deliver deliver_;
};

}  // namespace pghalo::sim
