// EtcdStore: the leader lock (spec 1.5) and the initialize race, with lost replies resolved by
// reading the key back instead of repeating a txn whose first attempt may have committed.
#include "common/log.h"
#include "dcs/etcd/etcd_store.h"

namespace pghalo::dcs::etcd {
namespace {

constexpr Duration kMinimumBudget = std::chrono::seconds(1);

TxnRequest create_leader(const std::string& key, const MemberName& name, LeaseId lease) {
  TxnRequest request;
  request.compare = {Compare{key, CompareTarget::kCreate, 0, ""}};
  request.success = {PutOp{key, name.value, lease}};
  return request;
}

// Patroni 3.0.3+: keep the key if it still holds our name (moving it to our lease), or take it
// if it is gone; never overwrite another member's lock.
TxnRequest refresh_leader_txn(const std::string& key, const MemberName& name, LeaseId lease) {
  TxnRequest request;
  request.compare = {Compare{key, CompareTarget::kValue, 0, name.value}};
  request.success = {PutOp{key, name.value, lease}};
  request.failure = {std::make_shared<TxnRequest>(create_leader(key, name, lease))};
  return request;
}

Error budget_exhausted(std::string_view what) {
  return make_error(ErrorCode::kTimeout,
                    std::string(what) + ": less than 1 s of retry_timeout left");
}

}  // namespace

// Resolves a lost lock reply: we hold the lock iff `leader` holds our name on our lease.
Result<bool> EtcdStore::leader_is(const MemberName& name, LeaseId lease, const Deadline& deadline) {
  auto seen = read_key(layout_.key(kLeaderKey), deadline);
  if (!seen.ok()) {
    return make_error(ErrorCode::kTimeout, "leader lock: outcome unknown (read-back failed: " +
                                               seen.error().message + ")");
  }
  if (!*seen) {
    remember_leader(std::nullopt);
    return false;
  }
  remember_leader(CachedLeader{MemberName((*seen)->value), (*seen)->lease});
  bool held = (*seen)->value == name.value && (*seen)->lease == lease;
  log::info("etcd_lock_resolved", "resolved a lost leader-lock reply by reading the key back",
            {{"holder", (*seen)->value}, {"held", held}});
  return held;
}

Result<bool> EtcdStore::acquire_leader(const MemberName& name) {
  auto deadline = start();
  auto lease = ensure_lease(deadline);
  if (!lease.ok()) return lease.error();
  if (deadline.remaining() < kMinimumBudget) return budget_exhausted("acquire leader lock");
  std::string key = layout_.key(kLeaderKey);
  LeaseId used = *lease;
  auto response =
      txn_on_lease(deadline, used, [&](LeaseId l) { return create_leader(key, name, l); });
  if (!response.ok() && response.error().code == ErrorCode::kTimeout)
    return leader_is(name, used, deadline);
  if (!response.ok()) return response.error();
  if (response->succeeded) remember_leader(CachedLeader{name, used});
  return response->succeeded;
}

Result<bool> EtcdStore::refresh_leader(const MemberName& name) {
  auto deadline = start();
  auto confirmation = keepalive_within(deadline);
  if (!confirmation.ok()) return confirmation.error();
  LeaseId lease = confirmation->lease;
  {
    std::lock_guard lock(mu_);
    if (leader_ && leader_->name == name && leader_->lease == lease) return true;
  }
  std::string key = layout_.key(kLeaderKey);
  LeaseId used = lease;
  auto response =
      txn_on_lease(deadline, used, [&](LeaseId l) { return refresh_leader_txn(key, name, l); });
  if (!response.ok() && response.error().code == ErrorCode::kTimeout)
    return leader_is(name, used, deadline);
  if (!response.ok()) return response.error();
  bool held = response->succeeded || (!response->responses.empty() &&
                                      response->responses[0].nested_succeeded.value_or(false));
  if (held) {
    remember_leader(CachedLeader{name, used});
  } else {
    remember_leader(std::nullopt);  // someone else holds it; the next read tells who
  }
  return held;
}

Result<bool> EtcdStore::release_leader(const MemberName& name) {
  auto deadline = start();
  std::string key = layout_.key(kLeaderKey);
  TxnRequest request;
  request.compare = {Compare{key, CompareTarget::kValue, 0, name.value}};
  request.success = {DeleteOp{key, ""}};
  auto response = kv_.txn(request, deadline.remaining());
  if (response.ok()) {
    if (response->succeeded) remember_leader(std::nullopt);
    return response->succeeded;
  }
  if (response.error().code != ErrorCode::kTimeout) return response.error();
  auto seen = read_key(key, deadline);
  if (!seen.ok()) {
    return make_error(ErrorCode::kTimeout,
                      "release leader lock: outcome unknown (" + response.error().message + ")");
  }
  if (*seen && (*seen)->value == name.value) {
    return make_error(ErrorCode::kTimeout,
                      "release leader lock: not applied (" + response.error().message + ")");
  }
  remember_leader(std::nullopt);
  return !*seen;  // deleted by us, or already someone else's
}

Status EtcdStore::take_leader_after_bootstrap(const MemberName& name) {
  auto deadline = start();
  auto lease = ensure_lease(deadline);
  if (!lease.ok()) return lease.error();
  PGHALO_TRY(put_resolved(layout_.key(kLeaderKey), name.value, *lease, deadline));
  remember_leader(CachedLeader{name, *lease});
  return ok_status();
}

Result<bool> EtcdStore::race_initialize() {
  auto deadline = start();
  std::string key = layout_.key(kInitializeKey);
  TxnRequest request;
  request.compare = {Compare{key, CompareTarget::kCreate, 0, ""}};
  request.success = {PutOp{key, "", LeaseId(0)}};
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto response = kv_.txn(request, deadline.remaining());
    if (response.ok()) return response->succeeded;
    if (response.error().code != ErrorCode::kTimeout) return response.error();
    auto seen = read_key(key, deadline);
    if (!seen.ok()) {
      return make_error(ErrorCode::kTimeout,
                        "initialize race: outcome unknown (" + response.error().message + ")");
    }
    if (*seen) {
      // Our create or someone else's: the value is "" either way. Losing is the safe answer (a
      // second bootstrap would fork the cluster); the key shows that a bootstrap is under way.
      log::warn("etcd_initialize_ambiguous",
                "lost the reply of the initialize race and cannot tell who won; assuming we lost");
      return false;
    }
    // Absent: the txn did not apply; it is safe to run it again once.
  }
  return make_error(ErrorCode::kTimeout, "initialize race: no reply from etcd");
}

}  // namespace pghalo::dcs::etcd
