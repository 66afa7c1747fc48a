// CurlSession: one libcurl easy handle (and so one kept-alive connection) that performs HTTP/1.1
// requests to etcd with a deadline, TLS client settings and TCP keepalive, either collecting
// the body or streaming it to a callback (the watch). It classifies every failure by what the
// caller may do next: retry anywhere (the request never reached etcd), or not (it may have
// been applied), and turns TLS failures into one sentence naming the reason.
//
// Not here: endpoints, retries, etcd semantics (GatewayClient). Not thread-safe: one thread at
// a time per session (GatewayClient keeps a pool). curl_global_init happens once, on first use.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace pghalo::dcs::etcd {

struct TlsSettings {
  std::string cacert;  // empty: the system's CAs
  std::string cert;    // client certificate (PEM); empty: none
  std::string key;
  std::string key_password;
};

struct SocketSettings {
  std::chrono::seconds keepalive_idle{20};  // loop_wait + retry_timeout
  std::chrono::seconds user_timeout{30};    // ttl: TCP_USER_TIMEOUT
  int keepalive_probes = 3;
};

struct HttpRequest {
  std::string url;
  std::string body;  // POSTed as application/json unless `get`
  bool get = false;
  std::string authorization;  // raw Authorization header value (etcd token); empty: none
  Duration timeout{0};        // whole transfer; 0 only for streams
  Duration connect_timeout{1000};
  // Streaming: called with each received chunk; return false to end the transfer.
  std::function<bool(std::string_view)> on_data;
  const std::atomic<bool>* stop = nullptr;  // checked about once a second while streaming
  // Streaming: end the transfer when no byte arrived for this long (0: never). A frozen etcd
  // (SIGSTOP, VM pause) keeps answering TCP keepalives from its kernel, so only silence shows it.
  Duration idle_timeout{0};
};

struct HttpResponse {
  long status = 0;
  std::string body;  // empty when streamed
};

struct TransportError {
  enum class Kind {
    kNotSent,    // connect failed/refused/timed out: etcd never saw the request
    kTls,        // handshake or certificate failure: etcd did not process the request
    kMaybeSent,  // the request went out and the answer did not come back (timeout, reset)
    kStopped,    // the caller's stop flag or on_data ended a stream
    kIdle,       // a stream stayed silent for idle_timeout
  };
  Kind kind = Kind::kNotSent;
  std::string message;  // "TLS handshake failed: certificate verify failed (...)"
};

struct HttpOutcome {
  std::optional<HttpResponse> response;
  std::optional<TransportError> error;
};

class CurlSession {
 public:
  CurlSession();
  ~CurlSession();
  CurlSession(const CurlSession&) = delete;
  CurlSession& operator=(const CurlSession&) = delete;

  HttpOutcome perform(const HttpRequest& request, const TlsSettings& tls,
                      const SocketSettings& socket);

 private:
  void* handle_;  // CURL*
};

// The human reason of a curl failure as one sentence; `code` is a CURLcode, `detail` curl's
// error buffer. Exposed for tests.
TransportError classify_curl_error(int code, std::string_view detail, bool request_sent);

}  // namespace pghalo::dcs::etcd
