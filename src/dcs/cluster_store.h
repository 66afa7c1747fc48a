// ClusterStore: the cluster's shared state as the agent uses it (Patroni's etcd layout, spec 1),
// independent of how it is reached. The HA loop calls it from one thread; the watcher and REST
// threads may call read_cluster() concurrently: implementations are thread-safe.
//
// Conventions: every call is bounded by the configured retry_timeout. Result<bool> operations
// return false when a compare failed (someone else holds the lock, a revision moved); an error
// means etcd could not answer. Lost replies are resolved inside the store by reading back, so
// kUnavailable means "not applied"; kTimeout means the outcome is still unknown because the
// read-back failed too (the next read_cluster() shows the truth).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "model/cluster.h"

namespace pghalo::dcs {

using model::LeaseId;
using model::MemberName;
using model::Revision;

struct StoreTiming {
  std::chrono::seconds ttl{30};
  std::chrono::seconds retry_timeout{10};
};

// A keepalive that etcd confirmed. The lease lives at least until sent_at + ttl (etcd restarts
// the countdown after it received the request, which is after it was sent).
struct LeaseConfirmation {
  LeaseId lease;
  MonoTime sent_at;
  std::chrono::seconds ttl{0};
  bool newly_granted = false;  // the previous lease was gone: lease-bound keys must be rewritten

  MonoTime valid_until() const { return sent_at + ttl; }
};

class ClusterStore {
 public:
  virtual ~ClusterStore() = default;

  // ttl changes take effect at the next keepalive (a new lease is granted).
  virtual void set_timing(StoreTiming timing) = 0;

  // One consistent (linearizable) read of the whole cluster prefix.
  virtual Result<model::ClusterState> read_cluster() = 0;

  // Keeps this agent's lease alive, granting one when there is none or it expired.
  virtual Result<LeaseConfirmation> keepalive() = 0;
  virtual std::optional<LeaseId> current_lease() const = 0;

  // Leader lock (spec 1.5).
  virtual Result<bool> acquire_leader(const MemberName& name) = 0;  // create-if-absent
  // Forced keepalive, then (if the key is not on our current lease) the value-compare txn.
  virtual Result<bool> refresh_leader(const MemberName& name) = 0;
  virtual Result<bool> release_leader(const MemberName& name) = 0;  // delete if value matches
  virtual Status take_leader_after_bootstrap(const MemberName& name) = 0;  // plain put on lease

  virtual Status publish_member(const MemberName& name, const nlohmann::json& value) = 0;
  virtual Status delete_member(const MemberName& name) = 0;

  virtual Result<bool> race_initialize() = 0;  // create initialize="" if absent
  virtual Status set_initialize(const std::string& system_identifier) = 0;
  virtual Status delete_initialize() = 0;

  // Conditional on `expected` when given (false on a revision mismatch), else unconditional.
  virtual Result<bool> write_config(const nlohmann::json& config,
                                    std::optional<Revision> expected) = 0;
  virtual Result<bool> write_failover(const nlohmann::json& request,
                                      std::optional<Revision> expected) = 0;
  virtual Result<bool> write_sync(const nlohmann::json& sync, std::optional<Revision> expected) = 0;
  virtual Result<bool> delete_sync(std::optional<Revision> expected) = 0;
  virtual Status write_history(const nlohmann::json& history) = 0;
  virtual Status write_status(const nlohmann::json& status) = 0;
  virtual Status write_failsafe(const nlohmann::json& failsafe) = 0;

  // Deletes the whole /<namespace>/<scope>/ prefix (pghaloctl remove).
  virtual Status remove_cluster() = 0;
};

}  // namespace pghalo::dcs
