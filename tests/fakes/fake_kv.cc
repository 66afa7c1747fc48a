#include "tests/fakes/fake_kv.h"

#include <algorithm>

namespace pghalo::fakes {
namespace {

using etcd::KeyValue;

bool in_range(const std::string& k, const std::string& key, const std::string& range_end) {
  if (range_end.empty()) return k == key;
  if (range_end == std::string(1, '\0')) return k >= key;
  return k >= key && k < range_end;
}

Error lease_not_found() {
  return make_error(ErrorCode::kNotFound, "etcdserver: requested lease not found");
}

}  // namespace

FakeKv::Outcome FakeKv::begin(KvCall call) {
  ++calls_[call];
  expire_locked();
  if (!available_) return {make_error(ErrorCode::kUnavailable, "fake etcd: unavailable"), false};
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->call != KvCall::kAny && it->call != call) continue;
    Outcome outcome{it->error, !it->error.has_value()};
    if (--it->remaining <= 0) faults_.erase(it);
    return outcome;
  }
  return {};
}

void FakeKv::expire_locked() {
  auto now = clock_.now();
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.expires_at > now) {
      ++it;
      continue;
    }
    std::int64_t id = it->first;
    it = leases_.erase(it);
    std::vector<std::string> doomed;
    for (const auto& [key, kv] : data_) {
      if (kv.lease.value == id) doomed.push_back(key);
    }
    if (doomed.empty()) continue;
    ++revision_;  // etcd deletes a lease's keys in one revision
    for (const auto& key : doomed) delete_key(key);
  }
}

void FakeKv::delete_key(const std::string& key) {
  etcd::WatchEvent event;
  event.type = etcd::WatchEvent::Type::kDelete;
  event.kv.key = key;
  event.kv.mod_revision = model::Revision(revision_);
  history_.emplace_back(revision_, event);
  data_.erase(key);
}

bool FakeKv::eval(const etcd::Compare& compare) const {
  auto it = data_.find(compare.key);
  const KeyValue* kv = it == data_.end() ? nullptr : &it->second;
  switch (compare.target) {
    case etcd::CompareTarget::kCreate:
      return (kv ? kv->create_revision.value : 0) == compare.number;
    case etcd::CompareTarget::kMod:
      return (kv ? kv->mod_revision.value : 0) == compare.number;
    case etcd::CompareTarget::kVersion:
      return (kv ? kv->version : 0) == compare.number;
    case etcd::CompareTarget::kValue:
      return kv && kv->value == compare.value;  // absent never equals
  }
  return false;
}

// Every put on the branch the compares select must name a live lease (checked before applying,
// as etcd does, so a failing txn changes nothing).
Status FakeKv::validate(const etcd::TxnRequest& request) const {
  bool ok = std::all_of(request.compare.begin(), request.compare.end(),
                        [&](const auto& c) { return eval(c); });
  for (const auto& op : ok ? request.success : request.failure) {
    if (const auto* put = std::get_if<etcd::PutOp>(&op)) {
      if (put->lease.value != 0 && !leases_.count(put->lease.value)) return lease_not_found();
    } else if (const auto* nested = std::get_if<std::shared_ptr<etcd::TxnRequest>>(&op)) {
      PGHALO_TRY(validate(**nested));
    }
  }
  return ok_status();
}

void FakeKv::apply_put(const etcd::PutOp& op) {
  if (!in_txn_ || !txn_wrote_) ++revision_;
  if (in_txn_) txn_wrote_ = true;
  KeyValue& kv = data_[op.key];
  if (kv.create_revision.value == 0) {
    kv.key = op.key;
    kv.create_revision = model::Revision(revision_);
  }
  kv.value = op.value;
  kv.mod_revision = model::Revision(revision_);
  ++kv.version;
  kv.lease = op.lease;
  history_.emplace_back(revision_, etcd::WatchEvent{etcd::WatchEvent::Type::kPut, kv});
}

std::int64_t FakeKv::apply_delete(const std::string& key, const std::string& range_end) {
  std::vector<std::string> doomed;
  for (const auto& [k, kv] : data_) {
    if (in_range(k, key, range_end)) doomed.push_back(k);
  }
  if (doomed.empty()) return 0;
  if (!in_txn_ || !txn_wrote_) ++revision_;
  if (in_txn_) txn_wrote_ = true;
  for (const auto& k : doomed) delete_key(k);
  return static_cast<std::int64_t>(doomed.size());
}

std::vector<KeyValue> FakeKv::apply_range(const std::string& key,
                                          const std::string& range_end) const {
  std::vector<KeyValue> out;
  for (const auto& [k, kv] : data_) {
    if (in_range(k, key, range_end)) out.push_back(kv);
  }
  return out;
}

etcd::TxnOpResponse FakeKv::apply_op(const etcd::TxnOp& op) {
  etcd::TxnOpResponse response;
  if (const auto* put = std::get_if<etcd::PutOp>(&op)) {
    apply_put(*put);
  } else if (const auto* del = std::get_if<etcd::DeleteOp>(&op)) {
    response.deleted = apply_delete(del->key, del->range_end);
  } else if (const auto* range = std::get_if<etcd::RangeOp>(&op)) {
    response.kvs = apply_range(range->key, range->range_end);
  } else {
    response.nested_succeeded =
        apply_txn(*std::get<std::shared_ptr<etcd::TxnRequest>>(op)).succeeded;
  }
  return response;
}

etcd::TxnResponse FakeKv::apply_txn(const etcd::TxnRequest& request) {
  etcd::TxnResponse response;
  response.succeeded = std::all_of(request.compare.begin(), request.compare.end(),
                                   [&](const auto& c) { return eval(c); });
  for (const auto& op : response.succeeded ? request.success : request.failure) {
    response.responses.push_back(apply_op(op));
  }
  response.header_revision = model::Revision(revision_);
  return response;
}

Result<etcd::RangeResponse> FakeKv::range(const std::string& key, const std::string& range_end,
                                          bool, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kRange);
  if (outcome.reject) return *outcome.reject;
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return etcd::RangeResponse{model::Revision(revision_), apply_range(key, range_end)};
}

Result<model::Revision> FakeKv::put(const etcd::PutOp& op, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kPut);
  if (outcome.reject) return *outcome.reject;
  if (op.lease.value != 0 && !leases_.count(op.lease.value)) return lease_not_found();
  apply_put(op);
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return model::Revision(revision_);
}

Result<etcd::TxnResponse> FakeKv::txn(const etcd::TxnRequest& request, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kTxn);
  if (outcome.reject) return *outcome.reject;
  PGHALO_TRY(validate(request));
  in_txn_ = true;
  txn_wrote_ = false;
  auto response = apply_txn(request);
  in_txn_ = false;
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return response;
}

Result<std::int64_t> FakeKv::delete_range(const etcd::DeleteOp& op, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kDeleteRange);
  if (outcome.reject) return *outcome.reject;
  auto deleted = apply_delete(op.key, op.range_end);
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return deleted;
}

Result<etcd::LeaseGrant> FakeKv::lease_grant(std::int64_t ttl_seconds, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kLeaseGrant);
  if (outcome.reject) return *outcome.reject;
  std::int64_t id = next_lease_++;
  leases_[id] = Lease{ttl_seconds, clock_.now() + std::chrono::seconds(ttl_seconds)};
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return etcd::LeaseGrant{model::LeaseId(id), ttl_seconds};
}

Result<std::optional<std::int64_t>> FakeKv::lease_keepalive(model::LeaseId id, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kKeepalive);
  if (outcome.reject) return *outcome.reject;
  auto it = leases_.find(id.value);
  std::optional<std::int64_t> ttl;
  if (it != leases_.end()) {
    it->second.expires_at = clock_.now() + std::chrono::seconds(it->second.ttl);
    ttl = it->second.ttl;
  }
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return ttl;
}

Status FakeKv::lease_revoke(model::LeaseId id, Duration) {
  std::lock_guard lock(mu_);
  auto outcome = begin(KvCall::kRevoke);
  if (outcome.reject) return *outcome.reject;
  auto it = leases_.find(id.value);
  if (it == leases_.end()) return lease_not_found();
  it->second.expires_at = MonoTime::min();
  expire_locked();
  if (outcome.drop_reply) return make_error(ErrorCode::kTimeout, "fake etcd: reply lost");
  return ok_status();
}

Status FakeKv::watch(const std::string& key, const std::string& range_end,
                     model::Revision start_revision,
                     const std::function<bool(const etcd::WatchBatch&)>& on_batch,
                     const std::atomic<bool>& stop) {
  std::vector<etcd::WatchBatch> batches;
  {
    std::lock_guard lock(mu_);
    auto outcome = begin(KvCall::kWatch);
    if (outcome.reject) return *outcome.reject;
    if (start_revision.value != 0 && start_revision.value <= compacted_) {
      etcd::WatchBatch canceled;
      canceled.header_revision = model::Revision(revision_);
      canceled.canceled = true;
      canceled.compact_revision = model::Revision(compacted_);
      batches.push_back(canceled);
    } else {
      std::int64_t from = start_revision.value == 0 ? revision_ + 1 : start_revision.value;
      for (const auto& [rev, event] : history_) {
        if (rev < from || !in_range(event.kv.key, key, range_end)) continue;
        if (batches.empty() || batches.back().events.back().kv.mod_revision.value != rev) {
          batches.push_back({model::Revision(revision_), {}, false, {}});
        }
        batches.back().events.push_back(event);
      }
    }
  }
  // Delivered without the lock so that on_batch may call back into the store.
  for (const auto& batch : batches) {
    if (stop.load() || !on_batch(batch) || batch.canceled) return ok_status();
  }
  if (stop.load()) return ok_status();
  return make_error(ErrorCode::kUnavailable, "fake watch: no more events");
}

void FakeKv::fail_next(int count, Error error, KvCall call) {
  std::lock_guard lock(mu_);
  faults_.push_back({call, count, std::move(error)});
}

void FakeKv::drop_replies(int count, KvCall call) {
  std::lock_guard lock(mu_);
  faults_.push_back({call, count, std::nullopt});
}

void FakeKv::set_available(bool available) {
  std::lock_guard lock(mu_);
  available_ = available;
}

std::optional<etcd::KeyValue> FakeKv::get(const std::string& key) {
  std::lock_guard lock(mu_);
  expire_locked();
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

model::Revision FakeKv::put_direct(const std::string& key, const std::string& value,
                                   model::LeaseId lease) {
  std::lock_guard lock(mu_);
  expire_locked();
  apply_put({key, value, lease});
  return model::Revision(revision_);
}

void FakeKv::delete_direct(const std::string& key, const std::string& range_end) {
  std::lock_guard lock(mu_);
  expire_locked();
  apply_delete(key, range_end);
}

model::LeaseId FakeKv::grant_direct(std::int64_t ttl_seconds) {
  std::lock_guard lock(mu_);
  std::int64_t id = next_lease_++;
  leases_[id] = Lease{ttl_seconds, clock_.now() + std::chrono::seconds(ttl_seconds)};
  return model::LeaseId(id);
}

void FakeKv::expire_leases() {
  std::lock_guard lock(mu_);
  expire_locked();
}

void FakeKv::refresh_all_leases() {
  std::lock_guard lock(mu_);
  for (auto& [id, lease] : leases_) lease.expires_at = clock_.now() + std::chrono::seconds(lease.ttl);
}

std::optional<MonoTime> FakeKv::next_lease_expiry() {
  std::lock_guard lock(mu_);
  std::optional<MonoTime> next;
  for (const auto& [id, lease] : leases_) {
    if (!next || lease.expires_at < *next) next = lease.expires_at;
  }
  return next;
}

void FakeKv::compact(model::Revision revision) {
  std::lock_guard lock(mu_);
  compacted_ = std::max(compacted_, revision.value);
  std::erase_if(history_, [&](const auto& entry) { return entry.first <= compacted_; });
}

model::Revision FakeKv::revision() {
  std::lock_guard lock(mu_);
  expire_locked();
  return model::Revision(revision_);
}

int FakeKv::calls(KvCall call) {
  std::lock_guard lock(mu_);
  return calls_[call];
}

bool FakeKv::lease_exists(model::LeaseId id) {
  std::lock_guard lock(mu_);
  expire_locked();
  return leases_.count(id.value) > 0;
}

}  // namespace pghalo::fakes
