// HttpServer: the REST API's HTTP/1.0 + HTTP/1.1 server on POSIX sockets, optionally over TLS
// (OpenSSL). A few epoll event loops (one thread each) accept connections, read requests, and
// answer fast ones (health checks) in place; requests the handler says may block go to a
// bounded worker pool and their answers come back to the owning loop. Limits keep bad or slow
// clients from hurting others: a cap on open connections (extra ones get 503 and are closed),
// head and body size caps (431/413), deadlines for finishing a request, for idle keep-alive
// connections and for taking a response (408 or close).
//
// Not here: what the answers are (HttpHandler, e.g. RestApi). Not an HTTP/2 server; no chunked
// request bodies. Thread-safe: start/stop/reload_tls may be called from any thread; stop() returns
// within about a second, cancelling blocking handlers through HttpHandler::cancel().
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/http_handler.h"
#include "api/http_parser.h"
#include "api/tls_context.h"
#include "common/clock.h"
#include "common/result.h"

namespace pghalo::api {

struct ConnectionConfig;
class WorkerPool;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8008";  // restapi.listen
  int io_threads = 2;
  int worker_threads = 4;                // for blocking (mutating) requests
  std::size_t max_pending_work = 64;     // queued blocking requests beyond the workers
  std::size_t max_connections = 512;
  int backlog = 512;
  HeadLimits limits;                     // head 32 KiB, 100 headers, body 1 MiB
  Duration request_timeout{10000};
  Duration idle_timeout{60000};
  Duration write_timeout{10000};
  std::vector<std::pair<std::string, std::string>> extra_headers;  // restapi.http(s)_extra_headers
  std::optional<TlsOptions> tls;         // set: HTTPS (restapi.certfile)
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listener, loads TLS material and starts the threads. Errors name the setting.
  Status start();
  // Closes the listener and every connection and joins every thread. Idempotent.
  void stop();
  // Re-reads the certificate and key (SIGHUP, POST /reload): new connections use them.
  Status reload_tls();

  int port() const { return port_; }
  bool tls() const { return tls_ != nullptr; }
  std::size_t open_connections() const { return open_connections_.load(); }

 private:
  class Loop;

  HttpServerOptions options_;
  HttpHandler& handler_;
  std::unique_ptr<TlsContext> tls_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<std::size_t> open_connections_{0};
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<ConnectionConfig> connection_config_;
  std::unique_ptr<WorkerPool> workers_;
  bool running_ = false;
};

}  // namespace pghalo::api
