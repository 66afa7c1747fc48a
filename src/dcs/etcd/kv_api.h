// KvApi: the narrow seam between pghalo's etcd key layout (etcd_store.h) and an etcd v3 server.
// Real implementation: GatewayClient (the v3 JSON gateway over HTTP(S) with libcurl). Fakes:
// tests/fakes/fake_kv.h (unit tests) and the simulator's etcd (tests/sim).
//
// Every call is bounded by `timeout`. Errors: kUnavailable (no endpoint answered, no quorum,
// auth/TLS failure), kTimeout (a request may have been applied: callers of non-idempotent
// operations resolve it by reading), kInvalidArgument (etcd rejected the request),
// kNotFound (lease not found). Implementations are thread-safe: the watch runs on its own
// thread while the HA loop issues requests.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "model/ids.h"

namespace pghalo::dcs::etcd {

using model::LeaseId;
using model::Revision;

struct KeyValue {
  std::string key;
  std::string value;
  Revision create_revision;
  Revision mod_revision;
  std::int64_t version = 0;
  LeaseId lease;
};

struct RangeResponse {
  Revision header_revision;
  std::vector<KeyValue> kvs;
};

enum class CompareTarget { kCreate, kMod, kValue, kVersion };

// Always an EQUAL comparison (the only one pghalo needs).
struct Compare {
  std::string key;
  CompareTarget target = CompareTarget::kCreate;
  std::int64_t number = 0;  // create_revision / mod_revision / version
  std::string value;        // for kValue
};

struct PutOp {
  std::string key;
  std::string value;
  LeaseId lease;  // 0: no lease
};

struct DeleteOp {
  std::string key;
  std::string range_end;  // empty: single key
};

struct RangeOp {
  std::string key;
  std::string range_end;
};

struct TxnRequest;
using TxnOp = std::variant<PutOp, DeleteOp, RangeOp, std::shared_ptr<TxnRequest>>;

struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<TxnOp> success;
  std::vector<TxnOp> failure;
};

struct TxnOpResponse {
  std::vector<KeyValue> kvs;             // for a RangeOp
  std::int64_t deleted = 0;              // for a DeleteOp
  std::optional<bool> nested_succeeded;  // for a nested TxnRequest
};

struct TxnResponse {
  bool succeeded = false;
  Revision header_revision;
  std::vector<TxnOpResponse> responses;
};

struct LeaseGrant {
  LeaseId id;
  std::int64_t ttl = 0;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;
};

struct WatchBatch {
  Revision header_revision;
  std::vector<WatchEvent> events;
  bool canceled = false;
  Revision compact_revision;  // set when canceled because start_revision was compacted
};

class KvApi {
 public:
  virtual ~KvApi() = default;

  virtual Result<RangeResponse> range(const std::string& key, const std::string& range_end,
                                      bool serializable, Duration timeout) = 0;
  virtual Result<Revision> put(const PutOp& op, Duration timeout) = 0;
  virtual Result<TxnResponse> txn(const TxnRequest& request, Duration timeout) = 0;
  virtual Result<std::int64_t> delete_range(const DeleteOp& op, Duration timeout) = 0;

  virtual Result<LeaseGrant> lease_grant(std::int64_t ttl_seconds, Duration timeout) = 0;
  // The remaining TTL after the keepalive, or nullopt when the lease no longer exists.
  virtual Result<std::optional<std::int64_t>> lease_keepalive(LeaseId id, Duration timeout) = 0;
  virtual Status lease_revoke(LeaseId id, Duration timeout) = 0;

  // Streams changes under [key, range_end) from `start_revision` to `on_batch` until it returns
  // false, `stop` becomes true (checked at least every second), or the stream breaks (returns
  // the error). An implementation may also end a silent stream with OK (GatewayClient does after
  // loop_wait + retry_timeout, to leave a frozen member): callers resume from the last revision
  // they saw. A canceled batch (compaction) ends the stream. Blocks the calling thread.
  virtual Status watch(const std::string& key, const std::string& range_end,
                       Revision start_revision,
                       const std::function<bool(const WatchBatch&)>& on_batch,
                       const std::atomic<bool>& stop) = 0;
};

}  // namespace pghalo::dcs::etcd
