// EtcdStore: the lease, the cluster read, and the plain and conditional writes.
// The leader lock and the initialize race are in etcd_store_lock.cc.
#include "dcs/etcd/etcd_store.h"

#include "common/log.h"
#include "dcs/codec.h"

namespace pghalo::dcs::etcd {

namespace {
Error unknown_outcome(std::string_view what, const Error& cause) {
  return make_error(ErrorCode::kTimeout,
                    std::string(what) + ": outcome unknown (" + cause.message + ")");
}
}  // namespace

EtcdStore::EtcdStore(KvApi& kv, const Clock& clock, std::string_view namespace_,
                     std::string_view scope, StoreTiming timing)
    : kv_(kv), clock_(clock), layout_(namespace_, scope), timing_(timing) {}

void EtcdStore::set_timing(StoreTiming timing) {
  std::lock_guard lock(mu_);
  timing_ = timing;
}

EtcdStore::Deadline EtcdStore::start() const {
  std::lock_guard lock(mu_);
  return Deadline(clock_, timing_.retry_timeout);
}

std::optional<LeaseId> EtcdStore::current_lease() const {
  std::lock_guard lock(mu_);
  return lease_;
}

std::optional<LeaseConfirmation> EtcdStore::last_confirmation() const {
  std::lock_guard lock(mu_);
  return last_confirmation_;
}

// ---- lease ------------------------------------------------------------------------------------

Result<LeaseConfirmation> EtcdStore::grant(const Deadline& deadline) {
  std::chrono::seconds ttl;
  {
    std::lock_guard lock(mu_);
    ttl = timing_.ttl;
  }
  MonoTime sent_at = clock_.now();
  auto granted = kv_.lease_grant(ttl.count(), deadline.remaining());
  if (!granted.ok()) return granted.error();
  LeaseConfirmation confirmation{granted->id, sent_at, std::chrono::seconds(granted->ttl), true};
  std::lock_guard lock(mu_);
  lease_ = granted->id;
  lease_ttl_ = ttl;
  last_confirmation_ = confirmation;
  log::info("etcd_lease_granted", "granted a new etcd lease",
            {{"lease", granted->id.value}, {"ttl", granted->ttl}});
  return confirmation;
}

Result<LeaseConfirmation> EtcdStore::keepalive() { return keepalive_within(start()); }

Result<LeaseConfirmation> EtcdStore::keepalive_within(const Deadline& deadline) {
  std::optional<LeaseId> lease;
  {
    std::lock_guard lock(mu_);
    // A ttl change takes a new lease; the old one expires on its own (revoking it would delete
    // the leader key before the refresh moved it).
    if (lease_ && lease_ttl_ == timing_.ttl) lease = lease_;
  }
  if (lease) {
    MonoTime sent_at = clock_.now();
    auto remaining = kv_.lease_keepalive(*lease, deadline.remaining());
    if (!remaining.ok()) return remaining.error();
    if (remaining->has_value() && **remaining > 0) {
      LeaseConfirmation confirmation{*lease, sent_at, std::chrono::seconds(**remaining), false};
      std::lock_guard lock(mu_);
      last_confirmation_ = confirmation;
      return confirmation;
    }
    log::warn("etcd_lease_lost", "etcd no longer knows our lease; granting a new one",
              {{"lease", lease->value}});
  }
  return grant(deadline);
}

Result<LeaseId> EtcdStore::ensure_lease(const Deadline& deadline) {
  {
    std::lock_guard lock(mu_);
    if (lease_) return *lease_;
  }
  auto granted = grant(deadline);
  if (!granted.ok()) return granted.error();
  return granted->lease;
}

void EtcdStore::drop_lease(LeaseId lease) {
  std::lock_guard lock(mu_);
  if (lease_ == lease) lease_.reset();
}

Result<TxnResponse> EtcdStore::txn_on_lease(const Deadline& deadline, LeaseId& lease,
                                            const std::function<TxnRequest(LeaseId)>& build) {
  auto response = kv_.txn(build(lease), deadline.remaining());
  if (response.ok() || response.error().code != ErrorCode::kNotFound) return response;
  // "requested lease not found": our lease expired unnoticed; grant one and try once more.
  drop_lease(lease);
  auto granted = grant(deadline);
  if (!granted.ok()) return granted.error();
  lease = granted->lease;
  return kv_.txn(build(lease), deadline.remaining());
}

// ---- reads ------------------------------------------------------------------------------------

Result<model::ClusterState> EtcdStore::read_cluster() {
  auto deadline = start();
  auto range = kv_.range(layout_.prefix(), layout_.prefix_end(), /*serializable=*/false,
                         deadline.remaining());
  if (!range.ok()) return range.error();
  std::vector<RawKv> kvs;
  kvs.reserve(range->kvs.size());
  for (auto& kv : range->kvs) {
    if (auto relative = layout_.relative(kv.key)) {
      kvs.push_back(
          {*relative, std::move(kv.value), kv.create_revision, kv.mod_revision, kv.lease});
    }
  }
  model::ClusterState state = decode_cluster(kvs, range->header_revision);
  report_problems(state.problems);
  if (state.leader) {
    remember_leader(CachedLeader{state.leader->name, state.leader->lease});
  } else {
    remember_leader(std::nullopt);
  }
  return state;
}

void EtcdStore::report_problems(const std::vector<std::string>& problems) {
  {
    std::lock_guard lock(mu_);
    if (problems == reported_problems_) return;  // log a corrupt key once, not every cycle
    reported_problems_ = problems;
  }
  for (const auto& problem : problems) {
    log::warn("etcd_value_invalid", "ignoring an etcd value that cannot be decoded",
              {{"problem", problem}});
  }
}

void EtcdStore::remember_leader(std::optional<CachedLeader> leader) {
  std::lock_guard lock(mu_);
  leader_ = std::move(leader);
}

Result<std::optional<KeyValue>> EtcdStore::read_key(const std::string& key,
                                                    const Deadline& deadline) {
  auto range = kv_.range(key, "", /*serializable=*/false, deadline.remaining());
  if (!range.ok()) return range.error();
  if (range->kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(range->kvs.front());
}

// ---- writes -----------------------------------------------------------------------------------

Status EtcdStore::put_resolved(const std::string& key, const std::string& value, LeaseId lease,
                               const Deadline& deadline) {
  auto put = kv_.put({key, value, lease}, deadline.remaining());
  if (put.ok() || put.error().code != ErrorCode::kTimeout)
    return put.ok() ? ok_status() : Status(put.error());
  auto seen = read_key(key, deadline);
  if (!seen.ok()) return unknown_outcome("put " + key, put.error());
  if (*seen && (*seen)->value == value && (*seen)->lease == lease) return ok_status();
  return make_error(ErrorCode::kTimeout,
                    "put " + key + ": not applied (" + put.error().message + ")");
}

Status EtcdStore::delete_resolved(const std::string& key, const std::string& range_end,
                                  const Deadline& deadline) {
  auto deleted = kv_.delete_range({key, range_end}, deadline.remaining());
  if (deleted.ok()) return ok_status();
  if (deleted.error().code != ErrorCode::kTimeout) return deleted.error();
  auto seen = kv_.range(key, range_end, /*serializable=*/false, deadline.remaining());
  if (!seen.ok()) return unknown_outcome("delete " + key, deleted.error());
  if (seen->kvs.empty()) return ok_status();
  return make_error(ErrorCode::kTimeout,
                    "delete " + key + ": not applied (" + deleted.error().message + ")");
}

Status EtcdStore::publish_member(const MemberName& name, const nlohmann::json& value) {
  auto deadline = start();
  auto lease = ensure_lease(deadline);
  if (!lease.ok()) return lease.error();
  std::string key = layout_.member_key(name);
  std::string encoded = encode_member_json(value);
  Status put = put_resolved(key, encoded, *lease, deadline);
  if (put.ok() || put.error().code != ErrorCode::kNotFound) return put;
  drop_lease(*lease);
  auto granted = grant(deadline);
  if (!granted.ok()) return granted.error();
  return put_resolved(key, encoded, granted->lease, deadline);
}

Status EtcdStore::delete_member(const MemberName& name) {
  return delete_resolved(layout_.member_key(name), "", start());
}

Status EtcdStore::set_initialize(const std::string& system_identifier) {
  return put_resolved(layout_.key(kInitializeKey), system_identifier, LeaseId(0), start());
}

Status EtcdStore::delete_initialize() {
  return delete_resolved(layout_.key(kInitializeKey), "", start());
}

Result<bool> EtcdStore::conditional_put(std::string_view relative, const std::string& value,
                                        std::optional<Revision> expected) {
  auto deadline = start();
  std::string key = layout_.key(relative);
  if (!expected) {
    PGHALO_TRY(put_resolved(key, value, LeaseId(0), deadline));
    return true;
  }
  TxnRequest request;
  request.compare = {Compare{key, CompareTarget::kMod, expected->value, ""}};
  request.success = {PutOp{key, value, LeaseId(0)}};
  auto response = kv_.txn(request, deadline.remaining());
  if (response.ok()) return response->succeeded;
  if (response.error().code != ErrorCode::kTimeout) return response.error();
  auto seen = read_key(key, deadline);
  if (!seen.ok()) return unknown_outcome("write " + key, response.error());
  Revision now = *seen ? (*seen)->mod_revision : Revision(0);
  if (now == *expected) {
    return make_error(ErrorCode::kTimeout,
                      "write " + key + ": not applied (" + response.error().message + ")");
  }
  // The key moved: our write if it holds our value, someone else's otherwise.
  return *seen && (*seen)->value == value;
}

Result<bool> EtcdStore::write_config(const nlohmann::json& config,
                                     std::optional<Revision> expected) {
  return conditional_put(kConfigKey, dump_compact(config), expected);
}

Result<bool> EtcdStore::write_failover(const nlohmann::json& request,
                                       std::optional<Revision> expected) {
  return conditional_put(kFailoverKey,
                         encode_ordered(request, {"leader", "member", "scheduled_at"}), expected);
}

Result<bool> EtcdStore::write_sync(const nlohmann::json& sync, std::optional<Revision> expected) {
  return conditional_put(kSyncKey, encode_ordered(sync, {"leader", "quorum", "sync_standby"}),
                         expected);
}

Result<bool> EtcdStore::delete_sync(std::optional<Revision> expected) {
  auto deadline = start();
  std::string key = layout_.key(kSyncKey);
  if (!expected) {
    PGHALO_TRY(delete_resolved(key, "", deadline));
    return true;
  }
  TxnRequest request;
  request.compare = {Compare{key, CompareTarget::kMod, expected->value, ""}};
  request.success = {DeleteOp{key, ""}};
  auto response = kv_.txn(request, deadline.remaining());
  if (response.ok()) return response->succeeded;
  if (response.error().code != ErrorCode::kTimeout) return response.error();
  auto seen = read_key(key, deadline);
  if (!seen.ok()) return unknown_outcome("delete " + key, response.error());
  if (!*seen) return true;
  if ((*seen)->mod_revision == *expected) {
    return make_error(ErrorCode::kTimeout,
                      "delete " + key + ": not applied (" + response.error().message + ")");
  }
  return false;
}

Status EtcdStore::write_history(const nlohmann::json& history) {
  return put_resolved(layout_.key(kHistoryKey), dump_compact(history), LeaseId(0), start());
}

Status EtcdStore::write_status(const nlohmann::json& status) {
  return put_resolved(layout_.key(kStatusKey),
                      encode_ordered(status, {"optime", "slots", "retain_slots"}), LeaseId(0),
                      start());
}

Status EtcdStore::write_failsafe(const nlohmann::json& failsafe) {
  return put_resolved(layout_.key(kFailsafeKey), dump_compact(failsafe), LeaseId(0), start());
}

Status EtcdStore::remove_cluster() {
  auto deadline = start();
  PGHALO_TRY(delete_resolved(layout_.prefix(), layout_.prefix_end(), deadline));
  remember_leader(std::nullopt);
  return ok_status();
}

}  // namespace pghalo::dcs::etcd
