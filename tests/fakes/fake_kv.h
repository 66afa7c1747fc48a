// FakeKv: an in-memory etcd v3 behind the KvApi seam, for unit tests and as the base of the
// simulator's etcd. It keeps etcd's real semantics: one global revision, create/mod revisions
// and versions per key, leases that expire on the given clock (deleting their keys), txns with
// nested txns, deleterange, compaction, and a watch that replays the event history.
//
// Not a network model: there is no latency and every call completes at once. Faults are
// injected explicitly: fail the next N calls (optionally of one kind), drop the reply of an
// operation after applying it (the caller sees kTimeout although it committed), or make the
// whole store unavailable until re-enabled.
//
// Watch is synchronous: watch() delivers every buffered event from start_revision in batches
// (one batch per revision), then returns kUnavailable("fake watch: no more events") unless
// `stop` is set or on_batch returned false. Tests drive a watcher one step at a time this way,
// without threads or sleeps. A start_revision at or below the compacted revision yields one
// canceled batch with compact_revision set.
//
// Lease expiry is evaluated lazily at every call (and by expire_leases()) against clock.now().
// Thread-safe: one mutex around all state (the simulator may call from several threads).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "dcs/etcd/kv_api.h"

namespace pghalo::fakes {

namespace etcd = pghalo::dcs::etcd;

enum class KvCall {
  kAny,
  kRange,
  kPut,
  kTxn,
  kDeleteRange,
  kLeaseGrant,
  kKeepalive,
  kRevoke,
  kWatch
};

class FakeKv final : public etcd::KvApi {
 public:
  explicit FakeKv(const Clock& clock) : clock_(clock) {}

  Result<etcd::RangeResponse> range(const std::string& key, const std::string& range_end,
                                    bool serializable, Duration timeout) override;
  Result<model::Revision> put(const etcd::PutOp& op, Duration timeout) override;
  Result<etcd::TxnResponse> txn(const etcd::TxnRequest& request, Duration timeout) override;
  Result<std::int64_t> delete_range(const etcd::DeleteOp& op, Duration timeout) override;
  Result<etcd::LeaseGrant> lease_grant(std::int64_t ttl_seconds, Duration timeout) override;
  Result<std::optional<std::int64_t>> lease_keepalive(model::LeaseId id, Duration timeout) override;
  Status lease_revoke(model::LeaseId id, Duration timeout) override;
  Status watch(const std::string& key, const std::string& range_end, model::Revision start_revision,
               const std::function<bool(const etcd::WatchBatch&)>& on_batch,
               const std::atomic<bool>& stop) override;

  // ---- fault injection --------------------------------------------------------------------
  // The next `count` calls of kind `call` fail with `error` without being applied.
  void fail_next(int count, Error error, KvCall call = KvCall::kAny);
  // The next `count` calls of kind `call` are applied, then answer kTimeout (a lost reply).
  void drop_replies(int count, KvCall call = KvCall::kAny);
  // While unavailable every call answers kUnavailable (no quorum, all endpoints down).
  void set_available(bool available);

  // ---- inspection and direct manipulation (no faults, no call counting) -------------------
  std::optional<etcd::KeyValue> get(const std::string& key);
  // Writes as another client would (e.g. a Patroni node or patronictl).
  model::Revision put_direct(const std::string& key, const std::string& value,
                             model::LeaseId lease = model::LeaseId(0));
  model::LeaseId grant_direct(std::int64_t ttl_seconds);
  // Deletes `key` (to `range_end`, when given) as another client would (e.g. patronictl remove).
  void delete_direct(const std::string& key, const std::string& range_end = "");
  // Deletes the keys of leases whose TTL ran out on the clock.
  void expire_leases();
  // What etcd's lessor does when a member becomes leader (an election, or quorum coming back):
  // every lease that still exists restarts its countdown from now. Expires nothing first, so a
  // simulator can stop the clock while there is no quorum (etcd cannot revoke leases then).
  void refresh_all_leases();
  // When the next lease runs out on the clock, if any lease exists.
  std::optional<MonoTime> next_lease_expiry();
  // Forgets the event history up to and including `revision` (etcd compaction).
  void compact(model::Revision revision);
  model::Revision revision();
  // How many calls of this kind were made (including failed ones).
  int calls(KvCall call);
  bool lease_exists(model::LeaseId id);

 private:
  struct Lease {
    std::int64_t ttl = 0;
    MonoTime expires_at;
  };
  struct Fault {
    KvCall call;
    int remaining;
    std::optional<Error> error;  // nullopt: drop the reply after applying
  };
  struct Outcome {
    std::optional<Error> reject;  // fail before applying
    bool drop_reply = false;      // apply, then answer kTimeout
  };

  // Counts the call, expires leases and consumes faults. Caller holds mu_.
  Outcome begin(KvCall call);
  bool eval(const etcd::Compare& compare) const;
  etcd::TxnResponse apply_txn(const etcd::TxnRequest& request);
  etcd::TxnOpResponse apply_op(const etcd::TxnOp& op);
  void apply_put(const etcd::PutOp& op);
  std::int64_t apply_delete(const std::string& key, const std::string& range_end);
  std::vector<etcd::KeyValue> apply_range(const std::string& key,
                                          const std::string& range_end) const;
  void delete_key(const std::string& key);
  void expire_locked();
  Status validate(const etcd::TxnRequest& request) const;

  const Clock& clock_;
  std::mutex mu_;
  std::int64_t revision_ = 1;  // etcd starts at 1
  std::int64_t compacted_ = 0;
  std::int64_t next_lease_ = 0x694d71d3c2e0a100;
  bool in_txn_ = false;  // one revision per txn, whatever its number of writes
  bool txn_wrote_ = false;
  std::map<std::string, etcd::KeyValue> data_;
  std::map<std::int64_t, Lease> leases_;
  std::vector<std::pair<std::int64_t, etcd::WatchEvent>> history_;
  std::vector<Fault> faults_;
  std::map<KvCall, int> calls_;
  bool available_ = true;
};

}  // namespace pghalo::fakes
