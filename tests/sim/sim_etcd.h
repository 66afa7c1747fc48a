// The simulated etcd: one FakeKv (revisions, leases, txns, watches, compaction) behind a model of
// a 3-member cluster, and one KvApi link per node that fails, delays or loses replies according
// to the node's network state. Each agent's EtcdStore runs on its link, so pghalo's own key
// layout, lock txns and lost-reply resolution run inside the simulation.
//
// Member model: a call succeeds only if the node reaches at least one live member and a quorum
// (2 of 3) is alive. Without quorum etcd's clock stands still (no leader can revoke a lease);
// the member that led keeps renewing leases for one election timeout. When a member becomes
// leader (after losing the old one, or when quorum returns) every lease restarts its countdown,
// as etcd's lessor does. Not thread-safe.
#pragma once

#include <array>
#include <string>

#include "fake_kv.h"
#include "sim_env.h"

namespace pghalo::sim {

inline constexpr int kEtcdMembers = 3;
inline constexpr Ms kElectionTimeout = 1000;

// One node's network path to etcd.
struct EtcdLink {
  enum class Mode {
    kUp,
    kDown,          // packets dropped both ways: calls time out, nothing applied
    kRequestsLost,  // node -> etcd cut: calls time out, nothing applied
    kRepliesLost,   // etcd -> node cut: calls are applied, replies never arrive
  };
  Mode mode = Mode::kUp;
  std::array<bool, kEtcdMembers> member_cut{};  // this node cannot reach member m
  Ms delay_max = 0;                             // each message waits [0, delay_max]
  int lost_reply_percent = 0;                   // replies dropped after applying
};

std::string_view mode_name(EtcdLink::Mode mode);

class EtcdCluster {
 public:
  EtcdCluster(SimEnv& env, const VirtualTime& time);

  fakes::FakeKv& kv() { return kv_; }
  EtcdClock& clock() { return clock_; }

  bool member_up(int m) const { return up_[static_cast<std::size_t>(m)]; }
  bool has_quorum() const;
  int leader() const { return leader_; }
  // Takes a member down or brings it back; handles quorum loss, elections and lease refresh.
  void set_member_up(int m, bool up);
  // The old leader still renews leases shortly after quorum was lost.
  bool in_keepalive_grace(int member) const;

 private:
  void elect();

  SimEnv& env_;
  EtcdClock clock_;
  fakes::FakeKv kv_;
  std::array<bool, kEtcdMembers> up_{true, true, true};
  int leader_ = 0;
  int last_leader_ = 0;
  Ms quorum_lost_at_ = 0;
};

class NodeKv final : public dcs::etcd::KvApi {
 public:
  // `timeless`: for the watcher, which the world drives from its own thread; its calls take no
  // virtual time and fail at once when the link is not fully up.
  NodeKv(SimEnv& env, EtcdCluster& etcd, const EtcdLink& link, std::string node, bool timeless = false)
      : env_(env), etcd_(etcd), link_(link), node_(std::move(node)), timeless_(timeless) {}

  Result<dcs::etcd::RangeResponse> range(const std::string& key, const std::string& range_end,
                                         bool serializable, Duration timeout) override;
  Result<model::Revision> put(const dcs::etcd::PutOp& op, Duration timeout) override;
  Result<dcs::etcd::TxnResponse> txn(const dcs::etcd::TxnRequest& request,
                                     Duration timeout) override;
  Result<std::int64_t> delete_range(const dcs::etcd::DeleteOp& op, Duration timeout) override;
  Result<dcs::etcd::LeaseGrant> lease_grant(std::int64_t ttl_seconds, Duration timeout) override;
  Result<std::optional<std::int64_t>> lease_keepalive(model::LeaseId id,
                                                      Duration timeout) override;
  Status lease_revoke(model::LeaseId id, Duration timeout) override;
  Status watch(const std::string& key, const std::string& range_end,
               model::Revision start_revision,
               const std::function<bool(const dcs::etcd::WatchBatch&)>& on_batch,
               const std::atomic<bool>& stop) override;

 private:
  // How one call fares on the network, decided before it is sent.
  struct Passage {
    std::optional<Error> refused;  // fails before reaching etcd (time already spent)
    Ms reply_delay = 0;
    bool reply_lost = false;  // applied, then the caller sees kTimeout
    Ms timeout = 0;
    Ms spent = 0;
  };
  Passage send(Duration timeout, bool keepalive);
  // After applying: the reply arrives, or is lost (kTimeout after the timeout).
  std::optional<Error> receive(const Passage& p, std::string_view what);
  Ms delay();
  // One request through the network: send, apply at etcd, receive (or lose) the reply. `what`
  // names the request in the probes of lost replies (apply may refine it).
  template <typename Apply>
  auto call(Duration timeout, bool keepalive, const std::string& what, Apply&& apply)
      -> decltype(apply()) {
    Passage p = send(timeout, keepalive);
    if (p.refused) return *p.refused;
    auto r = apply();
    if (auto lost = receive(p, what)) return *lost;
    return r;
  }

  SimEnv& env_;
  EtcdCluster& etcd_;
  const EtcdLink& link_;
  std::string node_;
  bool timeless_;
};

}  // namespace pghalo::sim
