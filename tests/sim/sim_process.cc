#include "sim_process.h"

#include "common/log.h"
#include "fake_peers.h"

namespace pghalo::sim {

bool SimJobRunner::start(ha::JobKind kind, bool may_write, agent::JobBody body) {
  if (running_) return false;
  JobTiming timing = planner_(kind);
  running_ = ha::JobRunning{kind, clock_.now(), may_write};
  body_ = std::move(body);
  plan_ = timing.plan;
  plan_.lifecycle_at_launch = pg_.lifecycle_events();
  ends_at_ = env_.now() + timing.duration;
  finished_.reset();
  log::info("job_started", std::string(ha::job_kind_name(kind)) + " started",
            {{"virtual_seconds", static_cast<double>(timing.duration) / 1000.0}});
  return true;
}

std::optional<ha::JobOutcome> SimJobRunner::take_finished() {
  auto out = std::move(finished_);
  finished_.reset();
  return out;
}

void SimJobRunner::complete() {
  if (!running_) return;
  ha::JobKind kind = running_->kind;
  agent::JobBody body = std::move(body_);
  body_ = nullptr;
  pg_.set_plan(plan_);
  Status status = body ? body() : Status(make_error(ErrorCode::kInternal, "no body"));
  pg_.clear_plan();
  running_.reset();
  std::string name(ha::job_kind_name(kind));
  if (status.ok()) {
    log::info("job_finished", name + " finished");
  } else {
    log::error("job_failed", name + " failed: " + status.error().message);
  }
  ha::JobOutcome outcome{kind, status.ok(), status.ok() ? "" : status.error().message};
  if (!on_finished_) return;  // an orphan: its agent is gone
  finished_ = outcome;
  on_finished_(outcome);
}

std::vector<PeerAnswer> SimPeerClient::ask_all(const std::vector<peer::PeerTarget>& targets,
                                               Duration timeout) {
  std::vector<PeerAnswer> answers;
  Ms longest = 0;
  for (const auto& t : targets) {
    PeerAnswer a = ask_(t.api_url);
    if (a.answers && a.delay >= timeout.count()) {
      a.answers = false;
      a.silent = true;
    }
    Ms waited = a.answers ? a.delay : (a.silent ? static_cast<Ms>(timeout.count()) : 0);
    longest = std::max(longest, waited);
    answers.push_back(std::move(a));
  }
  env_.advance(std::min<Ms>(longest, timeout.count()));
  return answers;
}

std::vector<model::PeerStatus> SimPeerClient::fetch_status(
    const std::vector<peer::PeerTarget>& targets, Duration timeout) {
  auto answers = ask_all(targets, timeout);
  std::vector<model::PeerStatus> out;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto* snap = answers[i].answers ? answers[i].snapshot.get() : nullptr;
    out.push_back(fakes::peer_status_from_snapshot(targets[i].name, snap));
  }
  return out;
}

std::vector<peer::FailsafeReply> SimPeerClient::post_failsafe(
    const std::vector<peer::PeerTarget>& targets, const nlohmann::json& body, Duration timeout) {
  auto answers = ask_all(targets, timeout);
  std::vector<peer::FailsafeReply> out;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    peer::FailsafeReply r;
    r.name = targets[i].name;
    if (!answers[i].answers) {
      r.error = answers[i].silent ? "timed out" : "connection refused";
    } else if (deliver_ && deliver_(targets[i].api_url, body)) {
      r.accepted = true;
    } else {
      r.error = "502: failsafe mode is off";
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace pghalo::sim
