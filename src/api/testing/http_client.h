// Test support: a raw HTTP client over a blocking socket (optionally TLS through OpenSSL) that
// sends exact bytes and reads exact bytes, every read bounded by a timeout; and a helper that
// starts an HttpServer on a free port of the tests' range 19000-19199 on 127.0.0.1.
// Test-only; a client is not thread-safe (use one per thread).
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/http_server.h"
#include "common/clock.h"

namespace pghalo::api::testing {

struct RawResponse {
  std::string status_line;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct TlsClientOptions {
  std::string certfile, keyfile;  // client certificate (optional)
  std::string cafile;             // verify the server against it (optional)
};

class RawClient {
 public:
  // Connects to 127.0.0.1:`port`; with `tls`, completes the handshake. nullopt on failure
  // (refused, or the server rejected the handshake).
  static std::unique_ptr<RawClient> connect(int port, Duration timeout = Duration(2000),
                                            const TlsClientOptions* tls = nullptr);
  ~RawClient();

  bool send(std::string_view bytes);
  void shutdown_write();
  // Closes with a reset (SO_LINGER 0), as a crashed client or a middlebox would.
  void reset();
  // One response: head, then Content-Length bytes of body (none for HEAD or status-only
  // responses without headers). nullopt when the connection closed or `timeout` passed first.
  std::optional<RawResponse> read_response(Duration timeout = Duration(2000),
                                           bool head_request = false);
  // Everything until the server closes (or `timeout`); sets `closed` when it did close.
  std::string read_until_close(Duration timeout, bool* closed = nullptr);
  // Serial number of the server certificate (TLS), as hex.
  std::string server_certificate_serial() const;

 private:
  RawClient(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  // Appends what arrives within `timeout` to buffer_; false on close or timeout.
  bool fill(MonoTime deadline);

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  std::string buffer_;
};

// One request on a fresh connection, answered; status 0 when no answer came.
RawResponse request_once(int port, const std::string& bytes, const TlsClientOptions* tls = nullptr);

// Starts `server` options on the first free port from a pid-dependent start in 19000-19199.
std::unique_ptr<HttpServer> start_server(HttpServerOptions options, HttpHandler& handler);

}  // namespace pghalo::api::testing
