// FakePeerClient: answers `GET /patroni` for in-process agents from their status snapshots, with
// per-member reachability switches. For agent tests and the simulator. Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "model/status.h"
#include "peer/peer_client.h"

namespace pghalo::fakes {

// What `GET /patroni` tells the leader race about a member whose agent published `snap`
// (unreachable when there is no snapshot or its PostgreSQL does not answer).
inline model::PeerStatus peer_status_from_snapshot(const model::MemberName& name,
                                                   const model::StatusSnapshot* snap) {
  model::PeerStatus p;
  p.name = name;
  if (snap && snap->pg.accepting_connections) {
    p.reachable = true;
    p.is_primary = !snap->pg.in_recovery;
    p.wal_position = snap->pg.position();
    p.timeline = snap->pg.timeline;
    p.nofailover = !snap->tags.can_failover();
    p.state = std::string(model::pg_state_name(snap->state));
  } else {
    p.error = "unreachable";
  }
  return p;
}

class FakePeerClient final : public peer::PeerClient {
 public:
  using SnapshotFn = std::function<std::shared_ptr<const model::StatusSnapshot>()>;

  void add(const std::string& api_url, SnapshotFn snapshot) {
    members_[api_url] = std::move(snapshot);
  }
  // Delivers an accepted POST /failsafe to the member behind `api_url` (the driver posts it to
  // that agent as a command).
  void on_failsafe(std::function<void(const std::string& api_url, const nlohmann::json& body)> f) {
    on_failsafe_ = std::move(f);
  }
  void set_reachable(const std::string& api_url, bool reachable) {
    if (reachable) {
      unreachable_.erase(api_url);
    } else {
      unreachable_.insert(api_url);
    }
  }

  std::vector<model::PeerStatus> fetch_status(const std::vector<peer::PeerTarget>& targets,
                                              Duration) override {
    std::vector<model::PeerStatus> out;
    for (const auto& t : targets) {
      auto it = members_.find(t.api_url);
      auto snap = (it == members_.end() || unreachable_.count(t.api_url)) ? nullptr : it->second();
      out.push_back(peer_status_from_snapshot(t.name, snap.get()));
    }
    return out;
  }

  std::vector<peer::FailsafeReply> post_failsafe(const std::vector<peer::PeerTarget>& targets,
                                                 const nlohmann::json& body, Duration) override {
    std::vector<peer::FailsafeReply> out;
    for (const auto& t : targets) {
      peer::FailsafeReply r;
      r.name = t.name;
      r.accepted = members_.count(t.api_url) && !unreachable_.count(t.api_url);
      if (r.accepted && on_failsafe_) on_failsafe_(t.api_url, body);
      out.push_back(r);
    }
    return out;
  }

 private:
  std::map<std::string, SnapshotFn> members_;
  std::set<std::string> unreachable_;
  std::function<void(const std::string&, const nlohmann::json&)> on_failsafe_;
};

}  // namespace pghalo::fakes
