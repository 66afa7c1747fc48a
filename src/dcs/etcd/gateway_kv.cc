// GatewayClient: the KvApi methods (request bodies in, decoded answers out) and the streaming
// watch.
#include <exception>

#include "common/log.h"
#include "dcs/etcd/gateway_client.h"
#include "dcs/etcd/gateway_json.h"
#include "dcs/etcd/json_stream.h"

namespace pghalo::dcs::etcd {
namespace {

// Runs a decoder over a successful answer; a decoder surprised by the JSON's shape must not
// take the agent down.
template <typename T, typename Decode>
Result<T> decoded(const Result<nlohmann::json>& answer, Decode decode) {
  if (!answer.ok()) return answer.error();
  try {
    return decode(*answer);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal,
                      std::string("unexpected answer from etcd: ") + e.what());
  }
}

}  // namespace

Result<RangeResponse> GatewayClient::range(const std::string& key, const std::string& range_end,
                                           bool serializable, Duration timeout) {
  auto answer = call("/kv/range", gateway::range_body(key, range_end, serializable), timeout,
                     Safety::kIdempotent);
  return decoded<RangeResponse>(answer, gateway::decode_range);
}

// A plain put writes the same value wherever it lands, so it may be retried elsewhere.
Result<Revision> GatewayClient::put(const PutOp& op, Duration timeout) {
  auto answer = call("/kv/put", gateway::put_body(op), timeout, Safety::kIdempotent);
  return decoded<Revision>(answer, gateway::decode_put);
}

Result<TxnResponse> GatewayClient::txn(const TxnRequest& request, Duration timeout) {
  auto answer = call("/kv/txn", gateway::txn_body(request), timeout, Safety::kOnlyIfNotSent);
  return decoded<TxnResponse>(answer, gateway::decode_txn);
}

Result<std::int64_t> GatewayClient::delete_range(const DeleteOp& op, Duration timeout) {
  auto answer = call("/kv/deleterange", gateway::delete_body(op), timeout, Safety::kIdempotent);
  return decoded<std::int64_t>(answer, gateway::decode_delete);
}

Result<LeaseGrant> GatewayClient::lease_grant(std::int64_t ttl_seconds, Duration timeout) {
  auto answer =
      call("/lease/grant", gateway::grant_body(ttl_seconds), timeout, Safety::kOnlyIfNotSent);
  return decoded<LeaseGrant>(answer, gateway::decode_grant);
}

Result<std::optional<std::int64_t>> GatewayClient::lease_keepalive(LeaseId id, Duration timeout) {
  auto answer = call("/lease/keepalive", gateway::lease_id_body(id), timeout, Safety::kIdempotent);
  return decoded<std::optional<std::int64_t>>(answer, gateway::decode_keepalive);
}

Status GatewayClient::lease_revoke(LeaseId id, Duration timeout) {
  auto answer = call("/lease/revoke", gateway::lease_id_body(id), timeout, Safety::kIdempotent);
  if (!answer.ok()) return answer.error();
  return ok_status();
}

Status GatewayClient::watch(const std::string& key, const std::string& range_end,
                            Revision start_revision,
                            const std::function<bool(const WatchBatch&)>& on_batch,
                            const std::atomic<bool>& stop) {
  Attempt attempt;
  std::chrono::seconds retry_timeout = configured_.retry_timeout;
  maybe_discover(retry_timeout, false);
  {
    std::lock_guard lock(mu_);
    attempt = endpoints_.plan(retry_timeout).front();
  }
  if (auto ready = ensure_ready(attempt); !ready.ok()) {
    std::lock_guard lock(mu_);
    endpoints_.failed(attempt.url);
    return ready.error();
  }
  std::string prefix;
  {
    std::lock_guard lock(mu_);
    prefix = prefix_;
  }
  HttpRequest req =
      request(attempt.url + prefix + "/watch", gateway::watch_body(key, range_end, start_revision),
              Duration(0), attempt.connect_timeout);
  req.timeout = Duration(0);  // a stream has no overall deadline; TCP keepalive guards it
  req.connect_timeout = attempt.connect_timeout;
  req.stop = &stop;
  JsonStreamSplitter splitter;
  std::optional<Error> stream_error;
  bool consumer_done = false;
  req.on_data = [&](std::string_view bytes) {
    for (const auto& text : splitter.feed(bytes)) {
      auto message = gateway::parse_body(text);
      if (!message.ok()) {
        stream_error = message.error();
        return false;
      }
      if (auto server = gateway::server_error(*message, 0)) {
        if (server->is_auth_error()) {
          std::lock_guard lock(mu_);
          token_.clear();  // the next attempt authenticates again
        }
        stream_error = make_error(ErrorCode::kUnavailable,
                                  "etcd " + attempt.url + ": watch: " + server->message);
        return false;
      }
      auto batch = decoded<WatchBatch>(*message, gateway::decode_watch_message);
      if (!batch.ok()) {
        stream_error = batch.error();
        return false;
      }
      if (batch->events.empty() && !batch->canceled) continue;  // "created" and progress messages
      if (!on_batch(*batch) || batch->canceled) {
        consumer_done = true;
        return false;
      }
    }
    if (splitter.broken())
      stream_error = make_error(ErrorCode::kInternal, "etcd watch stream is not JSON objects");
    return !splitter.broken();
  };
  TlsSettings tls;
  SocketSettings socket;
  {
    std::lock_guard lock(mu_);
    tls = tls_;
    socket = socket_;
  }
  CurlSession session;  // the stream's own connection
  HttpOutcome outcome = session.perform(req, tls, socket);
  if (consumer_done || stop.load()) return ok_status();
  {
    // Whatever ended the stream, the next watch tries another member first.
    std::lock_guard lock(mu_);
    endpoints_.failed(attempt.url);
  }
  if (stream_error) return *stream_error;
  if (outcome.error) {
    return make_error(ErrorCode::kUnavailable,
                      "etcd " + attempt.url + ": watch stream broke: " + outcome.error->message);
  }
  return make_error(ErrorCode::kUnavailable, "etcd " + attempt.url +
                                                 ": watch stream closed (HTTP " +
                                                 std::to_string(outcome.response->status) + ")");
}

}  // namespace pghalo::dcs::etcd
