// RestApi: Patroni 3.0.2's REST API (spec 3) over the agent's status snapshots. Routing follows
// Patroni: the first path segment and the method pick a handler; GET/HEAD/OPTIONS without one
// fall into the generic health check; other methods get 501. Reads answer from the snapshot
// (rendered once per snapshot). Unsafe methods pass access control, validate their body, then
// post a model::Command to the agent through CommandSink and wait, bounded, for its reply.
//
// Switchover/failover protocol with the agent: the handler checks the rules the snapshot can
// decide, posts a SwitchoverCommand; the agent checks the rest, writes /failover and replies
// 200 (empty body: "written, now watch"), 202 (scheduled) or an error status with its message.
// On 200 the handler polls snapshots every poll_interval for up to 2*max(10 s, loop_wait) until
// the leader changed (200), the request vanished under the same leader (503 "<Action> failed"),
// or time ran out (503 "<Action> status unknown"), as spec 3.5 rule 6 says.
//
// Not here: sockets and TLS (http_server.h). Thread-safe: handle() runs on many threads.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "api/access.h"
#include "api/http_handler.h"
#include "api/rendered_snapshot.h"
#include "api/snapshot_source.h"
#include "api/waiter.h"
#include "common/clock.h"
#include "model/command.h"

namespace pghalo::api {

// Posts a command to the agent's bounded queue. Returns false at once when the queue is full
// (the request is then answered 503). Must not block.
using CommandSink = std::function<bool(model::Command)>;

struct RestApiOptions {
  AccessOptions access;
  Duration command_timeout{30000};  // how long to wait for the agent's reply
  Duration restart_timeout{180000};  // POST /restart without a timeout filter waits this long
  Duration poll_interval{100};       // switchover/failover result polling
};

class RestApi final : public HttpHandler {
 public:
  RestApi(RestApiOptions options, const SnapshotSource& snapshots, CommandSink sink,
          const Clock& clock, Waiter& waiter);

  bool is_fast(const Request& request) const override;
  Response handle(const Request& request) override;
  void cancel() override { waiter_.cancel(); }

  // Called after POST /reload was accepted by the agent (e.g. to reload the TLS certificate,
  // as Patroni does on reload). Set before serving.
  void set_reload_hook(std::function<void()> hook) { reload_hook_ = std::move(hook); }
  const AccessPolicy& access() const { return access_; }

 private:
  std::shared_ptr<const RenderedSnapshot> rendered() const;
  Response unsafe_route(const Request& request, const RenderedSnapshot& rendered);
  Response post_failsafe(const Request& request, const model::StatusSnapshot& snapshot);
  Response post_restart(const Request& request, const model::StatusSnapshot& snapshot);
  Response post_switchover(const Request& request, const model::StatusSnapshot& snapshot,
                           bool is_failover);
  Response poll_switchover(const model::StatusSnapshot& before, const model::SwitchoverCommand& c);
  // Posts `body` and waits for the reply; the answer to send (the relayed reply or a 503).
  Response run_command(model::CommandBody body, Duration timeout, const char* what);

  RestApiOptions options_;
  AccessPolicy access_;
  const SnapshotSource& snapshots_;
  CommandSink sink_;
  const Clock& clock_;
  Waiter& waiter_;
  std::function<void()> reload_hook_;

  mutable std::mutex cache_mutex_;  // guards cache_ (held for a pointer compare and copy)
  mutable std::shared_ptr<const RenderedSnapshot> cache_;
};

// The reply of the agent as an HTTP answer (JSON bodies re-spaced like Python's json.dumps).
Response reply_response(const model::CommandReply& reply);

// Patroni's outcome messages of a switchover/failover that changed the leader.
std::string switchover_success_message(bool is_failover, const std::string& new_leader,
                                       const std::optional<std::string>& candidate);

}  // namespace pghalo::api
