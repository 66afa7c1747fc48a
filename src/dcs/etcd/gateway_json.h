// The etcd v3 JSON gateway's wire format (spec 1.6), as pure functions: request bodies (base64
// keys and values, int64s as strings) and response decoding (absent default fields, int64s as
// strings or numbers, errors as {"error","code","message"} or, inside a watch stream,
// {"error":{"grpc_code","http_code","message"}}). No I/O; every nlohmann exception is caught
// here. Thread-safe (pure).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dcs/etcd/kv_api.h"

namespace pghalo::dcs::etcd::gateway {

// gRPC status codes that the gateway reports and the client reacts to.
enum class GrpcCode : int {
  kOk = 0,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kUnavailable = 14,
  kUnauthenticated = 16,
};

// An error answer from etcd (HTTP >= 400 or an error object in a stream).
struct ServerError {
  int grpc_code = 2;
  int http_status = 0;
  std::string message;  // "etcdserver: requested lease not found"

  // Errors after which a new token may help (spec 1.6: re-authenticate once, retry).
  bool is_auth_error() const;
  // Errors that a request to another member (or later) may not see.
  bool is_transient() const;
};

// ---- requests ---------------------------------------------------------------------------------
std::string range_body(const std::string& key, const std::string& range_end, bool serializable);
std::string put_body(const PutOp& op);
std::string txn_body(const TxnRequest& request);
std::string delete_body(const DeleteOp& op);
std::string grant_body(std::int64_t ttl_seconds);
std::string lease_id_body(LeaseId id);  // keepalive and revoke
std::string watch_body(const std::string& key, const std::string& range_end,
                       Revision start_revision);
std::string auth_body(const std::string& name, const std::string& password);

// ---- responses --------------------------------------------------------------------------------
// Parses a body; an error object becomes a ServerError.
Result<nlohmann::json> parse_body(std::string_view body);
std::optional<ServerError> server_error(const nlohmann::json& body, int http_status);

Result<RangeResponse> decode_range(const nlohmann::json& body);
Result<Revision> decode_put(const nlohmann::json& body);
Result<TxnResponse> decode_txn(const nlohmann::json& body);
Result<std::int64_t> decode_delete(const nlohmann::json& body);
Result<LeaseGrant> decode_grant(const nlohmann::json& body);
// nullopt when the lease is gone (no or zero TTL).
Result<std::optional<std::int64_t>> decode_keepalive(const nlohmann::json& body);
// One message of the watch stream: {"result":{...}} (or an error object).
Result<WatchBatch> decode_watch_message(const nlohmann::json& body);
// The members' client URLs of /cluster/member/list.
Result<std::vector<std::string>> decode_member_urls(const nlohmann::json& body);
// The API prefix for a /version answer: "/v3" (>= 3.4), "/v3beta" (3.3), "/v3alpha" (3.0-3.2).
Result<std::string> decode_version_prefix(const nlohmann::json& body);
Result<std::string> decode_token(const nlohmann::json& body);

}  // namespace pghalo::dcs::etcd::gateway
