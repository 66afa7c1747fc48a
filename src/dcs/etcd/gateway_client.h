// GatewayClient: KvApi over etcd's v3 JSON gateway (HTTP/1.1 + libcurl), as Patroni's etcd3
// client talks to etcd (spec 1.6-1.7): /version picks the API prefix, keys and values travel as
// base64, int64s as strings, token auth uses a raw Authorization header, and the streaming
// /watch delivers chunked JSON objects.
//
// Endpoints: the configured "host:port" list is replaced by the members' advertised client URLs
// (unless use_proxies), refreshed every ttl*10 s and whenever every known endpoint failed. The
// endpoint that answered last is asked first; a failure moves to the next. Each call gets the
// caller's timeout split across endpoints (endpoints.h).
//
// Retries: reads, plain puts, deletes, keepalives and revokes are retried on another endpoint
// within the deadline. A txn or lease grant is retried only when etcd surely never saw it
// (connection refused, TLS failure); once it may have been sent, the answer is kTimeout and the
// caller resolves it by reading (etcd_store.h).
//
// Errors: kUnavailable (no endpoint answered; TLS or auth failure: one sentence naming the
// endpoint and the reason, e.g. "etcd https://127.0.0.1:17001: TLS handshake failed:
// certificate verify failed (unable to get local issuer certificate)"), kTimeout (a request may
// have been applied), kNotFound (lease not found), kInvalidArgument (etcd rejected the
// request), kInternal (an answer we cannot read).
//
// Watch: a stream silent for loop_wait + retry_timeout ends with OK and the next watch goes to
// the next member. A frozen etcd (SIGSTOP, VM pause) still answers TCP keepalives from its
// kernel, so silence is the only sign; a quiet cluster merely reconnects that often.
//
// Thread-safe: requests run on a small pool of curl handles; the watch uses its own handle and
// blocks only its calling thread. reload() may be called from any thread (SIGHUP handling).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/random.h"
#include "dcs/etcd/curl_session.h"
#include "dcs/etcd/endpoints.h"
#include "dcs/etcd/kv_api.h"
#include "nlohmann/json.hpp"

namespace pghalo::dcs::etcd {

struct GatewayOptions {
  std::vector<std::string> endpoints;  // "host:port" or URLs (the `etcd3:` hosts)
  std::string protocol = "http";       // http | https
  TlsSettings tls;                     // cacert, cert, key (client certificate)
  std::string username, password;      // token auth when set
  bool use_proxies = false;            // keep the configured endpoints (no discovery)
  std::chrono::seconds ttl{30};
  std::chrono::seconds loop_wait{10};
  std::chrono::seconds retry_timeout{10};
};

class GatewayClient final : public KvApi {
 public:
  // `clock` and `random` must outlive the client; `random` is used under the client's mutex.
  GatewayClient(GatewayOptions options, const Clock& clock, Random& random);
  ~GatewayClient() override;

  Result<RangeResponse> range(const std::string& key, const std::string& range_end,
                              bool serializable, Duration timeout) override;
  Result<Revision> put(const PutOp& op, Duration timeout) override;
  Result<TxnResponse> txn(const TxnRequest& request, Duration timeout) override;
  Result<std::int64_t> delete_range(const DeleteOp& op, Duration timeout) override;
  Result<LeaseGrant> lease_grant(std::int64_t ttl_seconds, Duration timeout) override;
  Result<std::optional<std::int64_t>> lease_keepalive(LeaseId id, Duration timeout) override;
  Status lease_revoke(LeaseId id, Duration timeout) override;
  Status watch(const std::string& key, const std::string& range_end, Revision start_revision,
               const std::function<bool(const WatchBatch&)>& on_batch,
               const std::atomic<bool>& stop) override;

  // New timing from /config: socket keepalive and the discovery period follow it.
  void set_timing(std::chrono::seconds ttl, std::chrono::seconds loop_wait,
                  std::chrono::seconds retry_timeout);
  // Re-reads certificate files from the next request on (SIGHUP): drops every idle connection;
  // `tls` replaces the paths when given. A running watch keeps its connection until it breaks.
  void reload(std::optional<TlsSettings> tls = std::nullopt);
  std::vector<std::string> endpoints() const;
  std::string current_endpoint() const;

 private:
  class SessionLease;
  enum class Safety { kIdempotent, kOnlyIfNotSent };

  Result<nlohmann::json> call(const std::string& method, const std::string& body, Duration timeout,
                              Safety safety);
  // One attempt at one endpoint; sets `retry_elsewhere` when another endpoint may do better.
  Result<nlohmann::json> call_once(const Attempt& attempt, const std::string& method,
                                   const std::string& body, Safety safety, bool& retry_elsewhere);
  Result<nlohmann::json> post(const std::string& url, const std::string& body, Duration timeout,
                              Duration connect, Safety safety);
  Status ensure_ready(const Attempt& attempt);
  Status authenticate(const Attempt& attempt);
  void maybe_discover(Duration budget, bool force);
  HttpRequest request(const std::string& url, const std::string& body, Duration timeout,
                      Duration connect) const;

  std::unique_ptr<CurlSession> take_session(std::uint64_t& generation);
  void return_session(std::unique_ptr<CurlSession> session, std::uint64_t generation);

  const Clock& clock_;
  const GatewayOptions configured_;

  mutable std::mutex mu_;  // guards everything below
  Random& random_;
  EndpointList endpoints_;
  TlsSettings tls_;
  SocketSettings socket_;
  std::chrono::seconds ttl_;
  std::string prefix_;  // "/v3"; empty until /version answered
  std::string token_;
  MonoTime next_discovery_;
  std::uint64_t generation_ = 0;  // bumped by reload(): older sessions are closed
  std::vector<std::unique_ptr<CurlSession>> idle_;
};

}  // namespace pghalo::dcs::etcd
