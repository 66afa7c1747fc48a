// GatewayClient: the KvApi methods (request bodies in, decoded answers out) and the streaming
// watch.
#include <algorithm>
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

// Turns the bytes of one /watch stream into batches for the consumer and remembers why the
// stream should end: the consumer is done, etcd sent an error, or the bytes are not JSON.
class WatchStreamReader {
 public:
  WatchStreamReader(std::string url, const std::function<bool(const WatchBatch&)>& on_batch)
      : url_(std::move(url)), on_batch_(on_batch) {}

  // False ends the transfer.
  bool on_bytes(std::string_view bytes) {
    for (const auto& text : splitter_.feed(bytes)) {
      if (!on_message(text)) return false;
    }
    if (splitter_.broken()) {
      error_ = make_error(ErrorCode::kInternal, "etcd watch stream is not JSON objects");
    }
    return !splitter_.broken();
  }
  bool consumer_done() const { return consumer_done_; }
  bool auth_rejected() const { return auth_rejected_; }
  const std::optional<Error>& error() const { return error_; }

 private:
  bool on_message(const std::string& text) {
    auto message = gateway::parse_body(text);
    if (!message.ok()) {
      error_ = message.error();
      return false;
    }
    if (auto server = gateway::server_error(*message, 0)) {
      auth_rejected_ = server->is_auth_error();
      error_ = make_error(ErrorCode::kUnavailable, "etcd " + url_ + ": watch: " + server->message);
      return false;
    }
    auto batch = decoded<WatchBatch>(*message, gateway::decode_watch_message);
    if (!batch.ok()) {
      error_ = batch.error();
      return false;
    }
    if (batch->events.empty() && !batch->canceled) return true;  // "created", progress notices
    if (!on_batch_(*batch) || batch->canceled) {
      consumer_done_ = true;
      return false;
    }
    return true;
  }

  std::string url_;
  const std::function<bool(const WatchBatch&)>& on_batch_;
  JsonStreamSplitter splitter_;
  std::optional<Error> error_;
  bool consumer_done_ = false;
  bool auth_rejected_ = false;
};

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
  // Discovery is left to the unary calls and the preparatory requests are short, so that the
  // watcher's stop() is never held up for long.
  constexpr Duration kPrepareBound = std::chrono::seconds(1);
  Attempt attempt;
  {
    std::lock_guard lock(mu_);
    attempt = endpoints_.plan(configured_.retry_timeout).front();
  }
  attempt.timeout = std::min(attempt.timeout, kPrepareBound);
  attempt.connect_timeout = std::min(attempt.connect_timeout, kPrepareBound);
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
  {
    std::lock_guard lock(mu_);
    req.idle_timeout = socket_.keepalive_idle;  // loop_wait + retry_timeout, as for TCP keepalive
  }
  WatchStreamReader reader(attempt.url, on_batch);
  req.on_data = [&reader](std::string_view bytes) { return reader.on_bytes(bytes); };
  TlsSettings tls;
  SocketSettings socket;
  {
    std::lock_guard lock(mu_);
    tls = tls_;
    socket = socket_;
  }
  CurlSession session;  // the stream's own connection
  HttpOutcome outcome = session.perform(req, tls, socket);
  if (reader.consumer_done() || stop.load()) return ok_status();
  {
    // Whatever ended the stream, the next watch tries another member first.
    std::lock_guard lock(mu_);
    endpoints_.failed(attempt.url);
    if (reader.auth_rejected()) token_.clear();  // the next attempt authenticates again
  }
  if (reader.error()) return *reader.error();
  if (outcome.error && outcome.error->kind == TransportError::Kind::kIdle) {
    // A quiet cluster or a frozen member: reconnect (to the next member) and resume.
    return ok_status();
  }
  if (outcome.error) {
    return make_error(ErrorCode::kUnavailable,
                      "etcd " + attempt.url + ": watch stream broke: " + outcome.error->message);
  }
  return make_error(ErrorCode::kUnavailable, "etcd " + attempt.url +
                                                 ": watch stream closed (HTTP " +
                                                 std::to_string(outcome.response->status) + ")");
}

}  // namespace pghalo::dcs::etcd
