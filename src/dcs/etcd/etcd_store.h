// EtcdStore: ClusterStore over any KvApi: Patroni's key layout under /<namespace>/<scope>/
// (keys.h), its value formats (codec.h), one lease per agent, and the leader lock protocol of
// spec 1.5 with Patroni 3.0.3+'s value-compare refresh.
//
// Lost replies: when KvApi answers kTimeout to a write, the write may or may not have been
// applied. The store never repeats a compare txn blindly; it reads the key back (linearizable)
// and decides from what it sees (e.g. after a lost acquire reply: held iff `leader` holds our
// name on our lease). When the read-back fails too, the call returns kTimeout ("outcome
// unknown"); the agent's next read_cluster() shows the truth.
//
// Not here: retries across etcd endpoints (GatewayClient), watching (Watcher), any decision.
// Thread-safe: the HA loop calls every method; the watcher and REST threads may call
// read_cluster() at the same time. No lock is held while waiting on etcd.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dcs/cluster_store.h"
#include "dcs/etcd/kv_api.h"
#include "dcs/keys.h"

namespace pghalo::dcs::etcd {

class EtcdStore final : public ClusterStore {
 public:
  // `kv` and `clock` must outlive the store.
  EtcdStore(KvApi& kv, const Clock& clock, std::string_view namespace_, std::string_view scope,
            StoreTiming timing = {});

  void set_timing(StoreTiming timing) override;
  Result<model::ClusterState> read_cluster() override;

  // Grants a lease when there is none, the last one is gone, or the configured ttl changed
  // (newly_granted then tells the agent to rewrite its lease-bound keys). A failed keepalive
  // keeps the current lease: it may still be alive in etcd.
  Result<LeaseConfirmation> keepalive() override;
  std::optional<LeaseId> current_lease() const override;

  // Acquire: txn CREATE(leader)==0 -> put leader=name on our lease. A missing lease is
  // re-granted and the txn retried once within the same deadline.
  Result<bool> acquire_leader(const MemberName& name) override;
  // Refresh (spec 1.5): a forced keepalive first (re-granting a lost lease; its failure is the
  // call's error), then nothing to write when the last view shows `leader` = name on that lease.
  // Otherwise the 3.0.3+ txn: VALUE==name -> put on our lease; else nested CREATE==0 -> put.
  // Held iff either branch succeeded. The confirmation is available from last_confirmation().
  Result<bool> refresh_leader(const MemberName& name) override;
  // Deletes `leader` iff its value is `name`; false when it holds another name.
  Result<bool> release_leader(const MemberName& name) override;
  Status take_leader_after_bootstrap(const MemberName& name) override;

  // The JSON is written in Patroni's field order (codec.h encode_member_json), on our lease.
  Status publish_member(const MemberName& name, const nlohmann::json& value) override;
  Status delete_member(const MemberName& name) override;

  // A lost reply with `initialize` present afterwards cannot tell whose create it was; the
  // store then answers false (never two bootstraps) and logs it.
  Result<bool> race_initialize() override;
  Status set_initialize(const std::string& system_identifier) override;
  Status delete_initialize() override;

  Result<bool> write_config(const nlohmann::json& config,
                            std::optional<Revision> expected) override;
  Result<bool> write_failover(const nlohmann::json& request,
                              std::optional<Revision> expected) override;
  Result<bool> write_sync(const nlohmann::json& sync, std::optional<Revision> expected) override;
  Result<bool> delete_sync(std::optional<Revision> expected) override;
  Status write_history(const nlohmann::json& history) override;
  Status write_status(const nlohmann::json& status) override;
  Status write_failsafe(const nlohmann::json& failsafe) override;
  Status remove_cluster() override;

  const KeyLayout& layout() const { return layout_; }
  // The last keepalive etcd confirmed (for the fencing deadline), if any.
  std::optional<LeaseConfirmation> last_confirmation() const;

 private:
  // The end of one operation's retry_timeout budget.
  class Deadline {
   public:
    Deadline(const Clock& clock, Duration budget) : clock_(clock), at_(clock.now() + budget) {}
    Duration remaining() const {
      auto left = std::chrono::duration_cast<Duration>(at_ - clock_.now());
      return left > Duration(0) ? left : Duration(0);
    }

   private:
    const Clock& clock_;
    MonoTime at_;
  };
  struct CachedLeader {
    MemberName name;
    LeaseId lease;
  };

  Deadline start() const;
  Result<LeaseConfirmation> keepalive_within(const Deadline& deadline);
  Result<LeaseConfirmation> grant(const Deadline& deadline);
  Result<LeaseId> ensure_lease(const Deadline& deadline);
  void drop_lease(LeaseId lease);
  // Runs a txn that puts on our lease; re-grants and rebuilds it once when the lease is gone.
  Result<TxnResponse> txn_on_lease(const Deadline& deadline, LeaseId& lease,
                                   const std::function<TxnRequest(LeaseId)>& build);
  Result<std::optional<KeyValue>> read_key(const std::string& key, const Deadline& deadline);
  Result<bool> leader_is(const MemberName& name, LeaseId lease, const Deadline& deadline);
  Status put_resolved(const std::string& key, const std::string& value, LeaseId lease,
                      const Deadline& deadline);
  Status delete_resolved(const std::string& key, const std::string& range_end,
                         const Deadline& deadline);
  Result<bool> conditional_put(std::string_view relative, const std::string& value,
                               std::optional<Revision> expected);
  void remember_leader(std::optional<CachedLeader> leader);
  void report_problems(const std::vector<std::string>& problems);

  KvApi& kv_;
  const Clock& clock_;
  const KeyLayout layout_;

  mutable std::mutex mu_;  // guards everything below
  StoreTiming timing_;
  std::optional<LeaseId> lease_;
  std::chrono::seconds lease_ttl_{0};
  std::optional<LeaseConfirmation> last_confirmation_;
  std::optional<CachedLeader> leader_;  // `leader` as last seen by a read or our own write
  std::vector<std::string> reported_problems_;
};

}  // namespace pghalo::dcs::etcd
