// GatewayClient: the request path (endpoint rotation, deadlines, auth, discovery) and the
// curl handle pool. The KvApi methods and the watch stream are in gateway_kv.cc.
#include "dcs/etcd/gateway_client.h"

#include <algorithm>
#include <exception>
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "dcs/etcd/gateway_json.h"
#include "dcs/etcd/tls_diagnosis.h"

namespace pghalo::dcs::etcd {
namespace {

constexpr std::size_t kMaxIdleSessions = 4;

std::vector<std::string> to_urls(const std::vector<std::string>& hosts,
                                 const std::string& protocol) {
  std::vector<std::string> urls;
  urls.reserve(hosts.size() + 1);
  for (const auto& host : hosts) urls.push_back(endpoint_url(host, protocol));
  if (urls.empty()) urls.push_back(endpoint_url("127.0.0.1:2379", protocol));
  return urls;
}

Duration left_until(const Clock& clock, MonoTime end) {
  auto left = std::chrono::duration_cast<Duration>(end - clock.now());
  return std::max(left, Duration(0));
}

// "etcd https://a, https://b: <reason>": one sentence per distinct reason, naming every
// endpoint that failed that way (a wrong CA fails the same way on every member).
std::string describe_failures(const std::vector<std::pair<std::string, std::string>>& failures) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_reason;
  for (const auto& [url, message] : failures) {
    std::string prefix = "etcd " + url + ": ";
    std::string reason = message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
    auto it = std::find_if(by_reason.begin(), by_reason.end(),
                           [&](const auto& r) { return r.first == reason; });
    if (it == by_reason.end()) {
      by_reason.push_back({reason, {url}});
    } else if (std::find(it->second.begin(), it->second.end(), url) == it->second.end()) {
      it->second.push_back(url);
    }
  }
  // Sorted, so the same failure reads the same whichever endpoint was tried first: the agent
  // logs an unchanged error once, not at every cycle.
  std::vector<std::string> sentences;
  sentences.reserve(by_reason.size());
  for (auto& [reason, urls] : by_reason) {
    std::sort(urls.begin(), urls.end());
    sentences.push_back("etcd " + join(urls, ", ") + ": " + reason);
  }
  std::sort(sentences.begin(), sentences.end());
  return join(sentences, "; ");
}

Error server_failure(const std::string& url, const gateway::ServerError& server) {
  std::string text = "etcd " + url + ": " + server.message;
  switch (server.grpc_code) {
    case static_cast<int>(gateway::GrpcCode::kNotFound):
      return make_error(ErrorCode::kNotFound, text);
    case static_cast<int>(gateway::GrpcCode::kInvalidArgument):
      return make_error(ErrorCode::kInvalidArgument, text);
    case static_cast<int>(gateway::GrpcCode::kPermissionDenied):
    case static_cast<int>(gateway::GrpcCode::kUnauthenticated):
    case static_cast<int>(gateway::GrpcCode::kResourceExhausted):
      return make_error(ErrorCode::kUnavailable, text);
    default:
      return make_error(ErrorCode::kInternal, text);
  }
}

}  // namespace

// A pooled session, returned to the pool (or closed after a reload) when it goes out of scope.
class GatewayClient::SessionLease {
 public:
  explicit SessionLease(GatewayClient& client)
      : client_(client), session_(client.take_session(generation_)) {}
  ~SessionLease() { client_.return_session(std::move(session_), generation_); }
  SessionLease(const SessionLease&) = delete;
  SessionLease& operator=(const SessionLease&) = delete;
  CurlSession& operator*() { return *session_; }

 private:
  GatewayClient& client_;
  std::uint64_t generation_ = 0;
  std::unique_ptr<CurlSession> session_;
};

GatewayClient::GatewayClient(GatewayOptions options, const Clock& clock, Random& random)
    : clock_(clock),
      configured_(std::move(options)),
      random_(random),
      endpoints_(to_urls(configured_.endpoints, configured_.protocol)),
      tls_(configured_.tls),
      ttl_(configured_.ttl),
      next_discovery_(MonoTime::min()) {
  socket_.keepalive_idle = configured_.loop_wait + configured_.retry_timeout;
  socket_.user_timeout = configured_.ttl;
}

GatewayClient::~GatewayClient() = default;

void GatewayClient::set_timing(std::chrono::seconds ttl, std::chrono::seconds loop_wait,
                               std::chrono::seconds retry_timeout) {
  std::lock_guard lock(mu_);
  ttl_ = ttl;
  socket_.keepalive_idle = loop_wait + retry_timeout;
  socket_.user_timeout = ttl;
}

void GatewayClient::reload(std::optional<TlsSettings> tls) {
  std::lock_guard lock(mu_);
  if (tls) tls_ = *tls;
  ++generation_;
  idle_.clear();
  token_.clear();
  log::info("etcd_client_reloaded", "etcd client connections dropped; certificates are read again");
}

std::vector<std::string> GatewayClient::endpoints() const {
  std::lock_guard lock(mu_);
  return endpoints_.urls();
}

std::string GatewayClient::current_endpoint() const {
  std::lock_guard lock(mu_);
  return endpoints_.current();
}

std::unique_ptr<CurlSession> GatewayClient::take_session(std::uint64_t& generation) {
  std::lock_guard lock(mu_);
  generation = generation_;
  if (idle_.empty()) return std::make_unique<CurlSession>();
  auto session = std::move(idle_.back());
  idle_.pop_back();
  return session;
}

void GatewayClient::return_session(std::unique_ptr<CurlSession> session, std::uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation == generation_ && idle_.size() < kMaxIdleSessions)
    idle_.push_back(std::move(session));
}

HttpRequest GatewayClient::request(const std::string& url, const std::string& body,
                                   Duration timeout, Duration connect) const {
  HttpRequest req;
  req.url = url;
  req.body = body;
  req.timeout = std::max(timeout, Duration(1));
  req.connect_timeout = std::min(connect, req.timeout);
  std::lock_guard lock(mu_);
  req.authorization = token_;
  return req;
}

// Performs one HTTP exchange. Transport failures: kUnavailable when etcd surely did not see the
// request (TLS failures say so in the message), kTimeout when it may have.
Result<nlohmann::json> GatewayClient::post(const std::string& url, const std::string& body,
                                           Duration timeout, Duration connect, Safety) {
  HttpRequest req = request(url, body, timeout, connect);
  req.get = body.empty();
  TlsSettings tls;
  SocketSettings socket;
  {
    std::lock_guard lock(mu_);
    tls = tls_;
    socket = socket_;
  }
  HttpOutcome outcome;
  {
    SessionLease session(*this);
    outcome = (*session).perform(req, tls, socket);
  }
  std::string origin = url.substr(0, url.find('/', url.find("://") + 3));
  if (outcome.error) {
    bool maybe_sent = outcome.error->kind == TransportError::Kind::kMaybeSent;
    std::string message = "etcd " + origin + ": " + outcome.error->message;
    if (outcome.error->kind == TransportError::Kind::kTls &&
        message.find("sent alert") != std::string::npos) {
      // The alert does not say what etcd disliked; our own certificate may.
      if (auto why = diagnose_client_certificate(tls, clock_.wall_now()); !why.empty())
        message += "; " + why;
    }
    return make_error(maybe_sent ? ErrorCode::kTimeout : ErrorCode::kUnavailable, message);
  }
  auto parsed = gateway::parse_body(outcome.response->body);
  if (!parsed.ok()) {
    return make_error(ErrorCode::kInternal, "etcd " + origin + " (HTTP " +
                                                std::to_string(outcome.response->status) +
                                                "): " + parsed.error().message);
  }
  if (outcome.response->status >= 400 && !gateway::server_error(*parsed, 0)) {
    return make_error(ErrorCode::kInternal,
                      "etcd " + origin + ": HTTP " + std::to_string(outcome.response->status));
  }
  return parsed;
}

Status GatewayClient::authenticate(const Attempt& attempt) {
  std::string prefix;
  {
    std::lock_guard lock(mu_);
    token_.clear();
    prefix = prefix_;
  }
  auto answer = post(attempt.url + prefix + "/auth/authenticate",
                     gateway::auth_body(configured_.username, configured_.password),
                     attempt.timeout, attempt.connect_timeout, Safety::kIdempotent);
  if (!answer.ok()) return answer.error();
  if (auto server = gateway::server_error(*answer, 0)) {
    if (server->message.find("authentication is not enabled") != std::string::npos)
      return ok_status();
    return make_error(ErrorCode::kUnavailable,
                      "etcd " + attempt.url + ": authentication failed: " + server->message);
  }
  auto token = gateway::decode_token(*answer);
  if (!token.ok()) return token.error();
  std::lock_guard lock(mu_);
  token_ = *token;
  return ok_status();
}

Status GatewayClient::ensure_ready(const Attempt& attempt) {
  bool need_prefix, need_token;
  {
    std::lock_guard lock(mu_);
    need_prefix = prefix_.empty();
    need_token = token_.empty() && !configured_.username.empty();
  }
  if (need_prefix) {
    auto version = post(attempt.url + "/version", "", attempt.timeout, attempt.connect_timeout,
                        Safety::kIdempotent);
    if (!version.ok()) return version.error();
    auto prefix = gateway::decode_version_prefix(*version);
    if (!prefix.ok()) return prefix.error();
    std::lock_guard lock(mu_);
    prefix_ = *prefix;
  }
  if (need_token) return authenticate(attempt);
  return ok_status();
}

Result<nlohmann::json> GatewayClient::call_once(const Attempt& attempt, const std::string& method,
                                                const std::string& body, Safety safety,
                                                bool& retry_elsewhere) {
  retry_elsewhere = true;
  if (auto ready = ensure_ready(attempt); !ready.ok()) return ready.error();
  for (int auth_round = 0; auth_round < 2; ++auth_round) {
    std::string prefix;
    {
      std::lock_guard lock(mu_);
      prefix = prefix_;
    }
    auto answer =
        post(attempt.url + prefix + method, body, attempt.timeout, attempt.connect_timeout, safety);
    if (!answer.ok()) {
      if (answer.error().code == ErrorCode::kTimeout && safety == Safety::kOnlyIfNotSent)
        retry_elsewhere = false;
      return answer.error();
    }
    auto server = gateway::server_error(*answer, 0);
    if (!server) return answer;
    if (server->is_auth_error() && !configured_.username.empty() && auth_round == 0) {
      log::info("etcd_reauthenticate", "etcd refused our token; authenticating again",
                {{"error", server->message}});
      if (auto status = authenticate(attempt); !status.ok()) return status.error();
      continue;
    }
    if (server->is_transient()) {
      if (safety == Safety::kOnlyIfNotSent) {
        retry_elsewhere = false;
        return make_error(ErrorCode::kTimeout, "etcd " + attempt.url + ": " + server->message +
                                                   " (may have been applied)");
      }
      return make_error(ErrorCode::kUnavailable, "etcd " + attempt.url + ": " + server->message);
    }
    retry_elsewhere = false;
    return server_failure(attempt.url, *server);
  }
  retry_elsewhere = false;
  return make_error(ErrorCode::kUnavailable,
                    "etcd " + attempt.url + ": authentication failed twice");
}

Result<nlohmann::json> GatewayClient::call(const std::string& method, const std::string& body,
                                           Duration timeout, Safety safety) {
  MonoTime end = clock_.now() + timeout;
  maybe_discover(timeout / 2, false);  // the request itself keeps at least half of its budget
  std::vector<std::pair<std::string, std::string>> failures;  // (endpoint, message)
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<Attempt> attempts;
    {
      std::lock_guard lock(mu_);
      attempts = endpoints_.plan(left_until(clock_, end));
    }
    std::set<std::string> given_up;  // endpoints whose failure will not change within this call
    for (Attempt attempt : attempts) {
      Duration left = left_until(clock_, end);
      if (left <= Duration(0)) break;
      if (given_up.count(attempt.url)) continue;
      attempt.timeout = std::min(attempt.timeout, left);
      attempt.connect_timeout = std::min(attempt.connect_timeout, attempt.timeout);
      bool retry_elsewhere = false;
      auto result = call_once(attempt, method, body, safety, retry_elsewhere);
      if (result.ok()) {
        std::lock_guard lock(mu_);
        endpoints_.succeeded(attempt.url);
        return result;
      }
      if (!retry_elsewhere) return result.error();
      {
        std::lock_guard lock(mu_);
        endpoints_.failed(attempt.url);
      }
      const std::string& message = result.error().message;
      failures.emplace_back(attempt.url, message);
      if (message.find("TLS handshake failed") != std::string::npos) given_up.insert(attempt.url);
    }
    std::vector<std::string> before = endpoints();
    if (pass > 0 || left_until(clock_, end) <= Duration(0)) break;
    maybe_discover(left_until(clock_, end), true);  // every known endpoint failed
    if (endpoints() == before) break;
  }
  if (failures.empty())
    return make_error(ErrorCode::kUnavailable, "etcd: no time left for " + method);
  return make_error(ErrorCode::kUnavailable, describe_failures(failures));
}

void GatewayClient::maybe_discover(Duration budget, bool force) {
  if (configured_.use_proxies) return;
  std::vector<std::string> candidates;
  {
    std::lock_guard lock(mu_);
    MonoTime now = clock_.now();
    if (!force && now < next_discovery_) return;
    next_discovery_ = now + ttl_ * 10;
    candidates = endpoints_.urls();
  }
  for (const auto& url : to_urls(configured_.endpoints, configured_.protocol)) {
    if (std::find(candidates.begin(), candidates.end(), url) == candidates.end())
      candidates.push_back(url);
  }
  MonoTime end = clock_.now() + budget;
  Duration per =
      std::max<Duration>(std::chrono::seconds(1), budget / static_cast<long>(candidates.size()));
  for (const auto& url : candidates) {
    Duration left = left_until(clock_, end);
    if (left <= Duration(0)) return;
    Attempt attempt{url, std::min(per, left), std::min(per, left) / 2};
    if (!ensure_ready(attempt).ok()) continue;
    std::string prefix;
    {
      std::lock_guard lock(mu_);
      prefix = prefix_;
    }
    auto answer = post(url + prefix + "/cluster/member/list", "{}", attempt.timeout,
                       attempt.connect_timeout, Safety::kIdempotent);
    if (!answer.ok() || gateway::server_error(*answer, 0)) continue;
    auto urls = gateway::decode_member_urls(*answer);
    if (!urls.ok() || urls->empty()) continue;
    std::lock_guard lock(mu_);
    endpoints_.replace(std::move(urls).value(), random_);
    return;
  }
}

}  // namespace pghalo::dcs::etcd
