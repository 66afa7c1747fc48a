#include "dcs/etcd/gateway_json.h"

#include <exception>

#include "common/strings.h"

namespace pghalo::dcs::etcd::gateway {
namespace {

using nlohmann::json;

Error bad_answer(std::string what) {
  return make_error(ErrorCode::kInternal, "unexpected answer from etcd: " + std::move(what));
}

std::string b64(const std::string& s) { return base64_encode(s); }

// int64 fields come as strings ("123") or numbers; absent means 0.
Result<std::int64_t> int_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::int64_t{0};
  if (it->is_number_integer() || it->is_number_unsigned()) return it->get<std::int64_t>();
  if (it->is_string()) {
    if (auto v = parse_int64(it->get<std::string>())) return *v;
  }
  return bad_answer(std::string(name) + " is not an integer");
}

Result<std::string> bytes_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad_answer(std::string(name) + " is not a base64 string");
  auto decoded = base64_decode(it->get<std::string>());
  if (!decoded) return bad_answer(std::string(name) + " is not valid base64");
  return *decoded;
}

Result<Revision> header_revision(const json& body) {
  auto it = body.find("header");
  if (it == body.end() || !it->is_object()) return Revision(0);
  auto rev = int_field(*it, "revision");
  if (!rev.ok()) return rev.error();
  return Revision(*rev);
}

// value() throws on a type mismatch; these read a wrong type as the default.
bool bool_field(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string string_field(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int small_int_field(const json& object, const char* name, int fallback) {
  auto it = object.find(name);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

Result<KeyValue> decode_kv(const json& object) {
  if (!object.is_object()) return bad_answer("kv is not an object");
  KeyValue kv;
  auto key = bytes_field(object, "key");
  auto value = bytes_field(object, "value");
  auto create = int_field(object, "create_revision");
  auto mod = int_field(object, "mod_revision");
  auto version = int_field(object, "version");
  auto lease = int_field(object, "lease");
  if (!key.ok()) return key.error();
  if (!value.ok()) return value.error();
  for (const auto* number : {&create, &mod, &version, &lease}) {
    if (!number->ok()) return number->error();
  }
  kv.key = *key;
  kv.value = *value;
  kv.create_revision = Revision(*create);
  kv.mod_revision = Revision(*mod);
  kv.version = *version;
  kv.lease = LeaseId(*lease);
  return kv;
}

Result<std::vector<KeyValue>> decode_kvs(const json& body) {
  std::vector<KeyValue> kvs;
  auto it = body.find("kvs");
  if (it == body.end() || it->is_null()) return kvs;
  if (!it->is_array()) return bad_answer("kvs is not an array");
  for (const auto& item : *it) {
    auto kv = decode_kv(item);
    if (!kv.ok()) return kv.error();
    kvs.push_back(std::move(kv).value());
  }
  return kvs;
}

const char* target_name(CompareTarget target) {
  switch (target) {
    case CompareTarget::kCreate:
      return "CREATE";
    case CompareTarget::kMod:
      return "MOD";
    case CompareTarget::kValue:
      return "VALUE";
    case CompareTarget::kVersion:
      return "VERSION";
  }
  return "CREATE";
}

json compare_json(const Compare& c) {
  json out = {{"key", b64(c.key)}, {"target", target_name(c.target)}, {"result", "EQUAL"}};
  switch (c.target) {
    case CompareTarget::kCreate:
      out["create_revision"] = std::to_string(c.number);
      break;
    case CompareTarget::kMod:
      out["mod_revision"] = std::to_string(c.number);
      break;
    case CompareTarget::kVersion:
      out["version"] = std::to_string(c.number);
      break;
    case CompareTarget::kValue:
      out["value"] = b64(c.value);
      break;
  }
  return out;
}

json put_json(const PutOp& op) {
  json out = {{"key", b64(op.key)}, {"value", b64(op.value)}};
  if (op.lease.value != 0) out["lease"] = std::to_string(op.lease.value);
  return out;
}

json delete_json(const DeleteOp& op) {
  json out = {{"key", b64(op.key)}};
  if (!op.range_end.empty()) out["range_end"] = b64(op.range_end);
  return out;
}

json txn_json(const TxnRequest& request);

json op_json(const TxnOp& op) {
  if (const auto* put = std::get_if<PutOp>(&op)) return {{"request_put", put_json(*put)}};
  if (const auto* del = std::get_if<DeleteOp>(&op))
    return {{"request_delete_range", delete_json(*del)}};
  if (const auto* range = std::get_if<RangeOp>(&op)) {
    json r = {{"key", b64(range->key)}};
    if (!range->range_end.empty()) r["range_end"] = b64(range->range_end);
    return {{"request_range", r}};
  }
  return {{"request_txn", txn_json(*std::get<std::shared_ptr<TxnRequest>>(op))}};
}

json txn_json(const TxnRequest& request) {
  json out = {{"compare", json::array()}, {"success", json::array()}, {"failure", json::array()}};
  for (const auto& c : request.compare) out["compare"].push_back(compare_json(c));
  for (const auto& op : request.success) out["success"].push_back(op_json(op));
  for (const auto& op : request.failure) out["failure"].push_back(op_json(op));
  return out;
}

Result<TxnOpResponse> decode_op_response(const json& item) {
  TxnOpResponse out;
  if (!item.is_object()) return bad_answer("txn response item is not an object");
  if (auto it = item.find("response_range"); it != item.end()) {
    auto kvs = decode_kvs(*it);
    if (!kvs.ok()) return kvs.error();
    out.kvs = std::move(kvs).value();
  } else if (auto del = item.find("response_delete_range"); del != item.end()) {
    auto deleted = int_field(*del, "deleted");
    if (!deleted.ok()) return deleted.error();
    out.deleted = *deleted;
  } else if (auto txn = item.find("response_txn"); txn != item.end()) {
    out.nested_succeeded = txn->is_object() && bool_field(*txn, "succeeded");
  }
  return out;
}

}  // namespace

bool ServerError::is_auth_error() const {
  return message.find("invalid auth token") != std::string::npos ||
         message.find("user name is empty") != std::string::npos ||
         message.find("revision of auth store is old") != std::string::npos ||
         message.find("auth revision") != std::string::npos ||
         message.find("permission denied") != std::string::npos;
}

bool ServerError::is_transient() const {
  return grpc_code == static_cast<int>(GrpcCode::kUnavailable) ||
         grpc_code == static_cast<int>(GrpcCode::kDeadlineExceeded) ||
         grpc_code == static_cast<int>(GrpcCode::kFailedPrecondition) ||
         message.find("not a primary lessor") != std::string::npos;
}

std::string range_body(const std::string& key, const std::string& range_end, bool serializable) {
  json out = {{"key", b64(key)}};
  if (!range_end.empty()) out["range_end"] = b64(range_end);
  if (serializable) out["serializable"] = true;
  return out.dump();
}

std::string put_body(const PutOp& op) { return put_json(op).dump(); }
std::string txn_body(const TxnRequest& request) { return txn_json(request).dump(); }
std::string delete_body(const DeleteOp& op) { return delete_json(op).dump(); }
std::string grant_body(std::int64_t ttl_seconds) {
  return json{{"TTL", std::to_string(ttl_seconds)}}.dump();
}
std::string lease_id_body(LeaseId id) { return json{{"ID", std::to_string(id.value)}}.dump(); }
std::string auth_body(const std::string& name, const std::string& password) {
  return json{{"name", name}, {"password", password}}.dump();
}

std::string watch_body(const std::string& key, const std::string& range_end,
                       Revision start_revision) {
  json create = {{"key", b64(key)}, {"range_end", b64(range_end)}};
  if (start_revision.value > 0) create["start_revision"] = std::to_string(start_revision.value);
  return json{{"create_request", create}}.dump();
}

Result<json> parse_body(std::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const std::exception& e) {
    std::string head(body.substr(0, 120));
    return bad_answer("not JSON (" + std::string(e.what()) + "): " + head);
  }
}

std::optional<ServerError> server_error(const json& body, int http_status) {
  if (!body.is_object()) return std::nullopt;
  auto it = body.find("error");
  if (it == body.end()) return std::nullopt;
  ServerError error;
  error.http_status = http_status;
  if (it->is_object()) {  // inside a stream
    error.grpc_code = small_int_field(*it, "grpc_code", 2);
    error.http_status = small_int_field(*it, "http_code", http_status);
    error.message = string_field(*it, "message");
  } else {
    error.message = it->is_string() ? it->get<std::string>() : it->dump();
    error.grpc_code = small_int_field(body, "code", 2);
  }
  return error;
}

Result<RangeResponse> decode_range(const json& body) {
  auto rev = header_revision(body);
  auto kvs = decode_kvs(body);
  if (!rev.ok()) return rev.error();
  if (!kvs.ok()) return kvs.error();
  return RangeResponse{*rev, std::move(kvs).value()};
}

Result<Revision> decode_put(const json& body) { return header_revision(body); }

Result<TxnResponse> decode_txn(const json& body) {
  TxnResponse out;
  auto rev = header_revision(body);
  if (!rev.ok()) return rev.error();
  out.header_revision = *rev;
  out.succeeded = bool_field(body, "succeeded");
  if (auto it = body.find("responses"); it != body.end() && it->is_array()) {
    for (const auto& item : *it) {
      auto response = decode_op_response(item);
      if (!response.ok()) return response.error();
      out.responses.push_back(std::move(response).value());
    }
  }
  return out;
}

Result<std::int64_t> decode_delete(const json& body) { return int_field(body, "deleted"); }

Result<LeaseGrant> decode_grant(const json& body) {
  auto id = int_field(body, "ID");
  auto ttl = int_field(body, "TTL");
  if (!id.ok()) return id.error();
  if (!ttl.ok()) return ttl.error();
  if (*id == 0) return bad_answer("lease grant without an ID");
  return LeaseGrant{LeaseId(*id), *ttl};
}

Result<std::optional<std::int64_t>> decode_keepalive(const json& body) {
  auto result = body.find("result");
  if (result == body.end() || !result->is_object()) return std::optional<std::int64_t>();
  auto ttl = int_field(*result, "TTL");
  if (!ttl.ok()) return ttl.error();
  if (*ttl <= 0) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(*ttl);
}

Result<WatchBatch> decode_watch_message(const json& body) {
  auto result = body.find("result");
  if (result == body.end() || !result->is_object())
    return bad_answer("watch message without result");
  WatchBatch batch;
  auto rev = header_revision(*result);
  auto compact = int_field(*result, "compact_revision");
  if (!rev.ok()) return rev.error();
  if (!compact.ok()) return compact.error();
  batch.header_revision = *rev;
  batch.compact_revision = Revision(*compact);
  batch.canceled = bool_field(*result, "canceled");
  if (auto events = result->find("events"); events != result->end() && events->is_array()) {
    for (const auto& item : *events) {
      if (!item.is_object()) return bad_answer("watch event is not an object");
      WatchEvent event;
      event.type = string_field(item, "type") == "DELETE" ? WatchEvent::Type::kDelete
                                                          : WatchEvent::Type::kPut;
      auto kv_it = item.find("kv");
      auto kv = decode_kv(kv_it == item.end() ? json::object() : *kv_it);
      if (!kv.ok()) return kv.error();
      event.kv = std::move(kv).value();
      batch.events.push_back(std::move(event));
    }
  }
  return batch;
}

Result<std::vector<std::string>> decode_member_urls(const json& body) {
  std::vector<std::string> urls;
  auto members = body.find("members");
  if (members == body.end() || !members->is_array())
    return bad_answer("member list without members");
  for (const auto& member : *members) {
    if (!member.is_object()) continue;
    auto client_urls = member.find("clientURLs");
    if (client_urls == member.end() || !client_urls->is_array()) continue;  // not started yet
    for (const auto& url : *client_urls) {
      if (url.is_string()) urls.push_back(url.get<std::string>());
    }
  }
  return urls;
}

Result<std::string> decode_version_prefix(const json& body) {
  if (!body.is_object() || !body.contains("etcdcluster") || !body["etcdcluster"].is_string()) {
    return bad_answer("/version without etcdcluster");
  }
  auto parts = split(body["etcdcluster"].get<std::string>(), '.');
  std::int64_t major = 0, minor = 0;
  if (parts.size() < 2 || !parse_int64(parts[0]) || !parse_int64(parts[1])) {
    return bad_answer("unparsable etcd cluster version");
  }
  major = *parse_int64(parts[0]);
  minor = *parse_int64(parts[1]);
  if (major < 3) {
    return make_error(
        ErrorCode::kFailedPrecondition,
        "etcd cluster version " + body["etcdcluster"].get<std::string>() + " is older than 3.0");
  }
  if (major == 3 && minor < 3) return std::string("/v3alpha");
  if (major == 3 && minor == 3) return std::string("/v3beta");
  return std::string("/v3");
}

Result<std::string> decode_token(const json& body) {
  auto token = body.find("token");
  if (token == body.end() || !token->is_string()) return bad_answer("authenticate without a token");
  return token->get<std::string>();
}

}  // namespace pghalo::dcs::etcd::gateway
