#include "api/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <mutex>
#include <unordered_map>

#include "api/connection.h"
#include "api/listen_socket.h"
#include "api/worker_pool.h"
#include "common/log.h"

namespace pghalo::api {
namespace {

constexpr std::uint64_t kListenId = 0;
constexpr std::uint64_t kWakeId = 1;
constexpr int kMaxEvents = 128;
constexpr int kAcceptBurst = 64;  // per wake-up, so one loop does not take every new client
constexpr Duration kSweepEvery{100};

std::atomic<std::uint64_t> next_connection_id{2};

void tune_socket(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Per-connection keepalive as Patroni sets it: probe after 3 s idle, give up after ~10 s.
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  int idle = 3, interval = 2, count = 3;
  unsigned user_timeout_ms = 10000;
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

void refuse_connection(int fd, bool tls) {
  if (!tls) {
    static const char kBusy[] =
        "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 42\r\n"
        "Connection: close\r\n\r\ntoo many open connections to the REST API\n";
    (void)::send(fd, kBusy, sizeof kBusy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  ::close(fd);
}

Response safe_handle(HttpHandler& handler, const Request& request) {
  try {
    return handler.handle(request);
  } catch (const std::exception& e) {
    log::error("rest_handler_failed", "a REST handler threw", {{"path", request.path},
                                                                 {"error", e.what()}});
    return error_response(500, std::string("internal error: ") + e.what());
  }
}

std::string format_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  return out;
}

}  // namespace

class HttpServer::Loop {
 public:
  Loop(HttpServer& server, const ConnectionConfig& config) : server_(server), config_(config) {}
  ~Loop() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Status start() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return make_error(ErrorCode::kInternal, "cannot create the REST API's event loop");
    }
    epoll_event wake{EPOLLIN, {.u64 = kWakeId}};
    epoll_event listen{EPOLLIN | EPOLLEXCLUSIVE, {.u64 = kListenId}};
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0 ||
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server_.listen_fd_, &listen) != 0) {
      return make_error(ErrorCode::kInternal, "cannot register the REST API's sockets");
    }
    thread_ = std::thread([this] { run(); });
    return ok_status();
  }

  void stop() {
    stopping_.store(true);
    wake();
    if (thread_.joinable()) thread_.join();
  }

  // From a worker thread: the answer to a blocking request of connection `id`.
  void post_completion(std::uint64_t id, Response response) {
    {
      std::lock_guard lock(completions_mutex_);
      completions_.emplace_back(id, std::move(response));
    }
    wake();
  }

 private:
  struct Entry {
    std::unique_ptr<Connection> connection;
    std::uint32_t events = 0;
  };

  void wake() {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }

  void run() {
    epoll_event events[kMaxEvents];
    MonoTime next_sweep = std::chrono::steady_clock::now() + kSweepEvery;
    while (!stopping_.load()) {
      int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(kSweepEvery.count()));
      MonoTime now = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) {
        std::uint64_t id = events[i].data.u64;
        if (id == kListenId) {
          accept_clients(now);
        } else if (id == kWakeId) {
          std::uint64_t count;
          (void)!::read(wake_fd_, &count, sizeof count);
          take_completions(now);
        } else if (auto it = connections_.find(id); it != connections_.end()) {
          Connection& c = *it->second.connection;
          // Hang-up and errors are reported even with no events wanted (a request on a worker):
          // nothing can be sent any more, and not closing would make epoll report it forever.
          if (events[i].events & (EPOLLHUP | EPOLLERR)) {
            c.close();
          } else {
            c.on_ready(now);
          }
          serve(it->second, now);
        }
      }
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + kSweepEvery;
      }
    }
    server_.open_connections_.fetch_sub(connections_.size());
    connections_.clear();  // closes every socket
  }

  void accept_clients(MonoTime now) {
    for (int i = 0; i < kAcceptBurst; ++i) {
      sockaddr_storage address{};
      socklen_t length = sizeof address;
      int fd = ::accept4(server_.listen_fd_, reinterpret_cast<sockaddr*>(&address), &length,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: another loop took it, or nothing left
      if (server_.open_connections_.load() >= server_.options_.max_connections) {
        refuse_connection(fd, server_.tls_ != nullptr);
        continue;
      }
      tune_socket(fd);
      SSL* ssl = nullptr;
      if (server_.tls_) {
        ssl = SSL_new(server_.tls_->current().get());
        if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
          if (ssl != nullptr) SSL_free(ssl);
          ::close(fd);
          continue;
        }
        SSL_set_accept_state(ssl);
      }
      std::uint64_t id = next_connection_id.fetch_add(1);
      Entry entry{std::make_unique<Connection>(id, fd, peer_address(address), ssl, config_, now)};
      entry.events = entry.connection->wanted_events();
      epoll_event event{entry.events, {.u64 = id}};
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) continue;  // entry closes fd
      server_.open_connections_.fetch_add(1);
      connections_.emplace(id, std::move(entry));
    }
  }

  // Answers every request the connection has ready, then updates its epoll registration.
  void serve(Entry& entry, MonoTime now) {
    Connection& c = *entry.connection;
    while (auto request = c.take_request()) {
      if (server_.handler_.is_fast(*request)) {
        c.respond(safe_handle(server_.handler_, *request), now);
        continue;
      }
      auto shared = std::make_shared<Request>(std::move(*request));
      std::uint64_t id = c.id();
      HttpHandler& handler = server_.handler_;
      bool queued = server_.workers_->submit(
          [this, id, shared, &handler] { post_completion(id, safe_handle(handler, *shared)); });
      if (!queued) {
        c.respond(error_response(503, "too many requests in progress; try again later"), now);
        continue;
      }
      break;  // the answer comes back through post_completion
    }
    update(entry);
  }

  void update(Entry& entry) {
    Connection& c = *entry.connection;
    if (c.state() == Connection::State::kClosed) {
      server_.open_connections_.fetch_sub(1);
      connections_.erase(c.id());  // the socket left epoll when it was closed
      return;
    }
    std::uint32_t wanted = c.wanted_events();
    if (wanted == entry.events) return;
    epoll_event event{wanted, {.u64 = c.id()}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd(), &event);
    entry.events = wanted;
  }

  void take_completions(MonoTime now) {
    std::vector<std::pair<std::uint64_t, Response>> done;
    {
      std::lock_guard lock(completions_mutex_);
      done.swap(completions_);
    }
    for (auto& [id, response] : done) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;  // the client went away meanwhile
      if (it->second.connection->state() == Connection::State::kWorking) {
        it->second.connection->respond(response, now);
      }
      serve(it->second, now);
    }
  }

  void sweep(MonoTime now) {
    std::vector<std::uint64_t> expired;
    for (const auto& [id, entry] : connections_) {
      if (now >= entry.connection->deadline()) expired.push_back(id);
    }
    for (std::uint64_t id : expired) {
      auto it = connections_.find(id);
      it->second.connection->on_deadline(now);
      serve(it->second, now);
    }
  }

  HttpServer& server_;
  const ConnectionConfig& config_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::unordered_map<std::uint64_t, Entry> connections_;
  std::mutex completions_mutex_;
  std::vector<std::pair<std::uint64_t, Response>> completions_;
};

namespace {
// One configuration shared (read-only) by every connection of a server.
ConnectionConfig connection_config(const HttpServerOptions& options) {
  ConnectionConfig config;
  config.limits = options.limits;
  config.request_timeout = options.request_timeout;
  config.idle_timeout = options.idle_timeout;
  config.write_timeout = options.write_timeout;
  config.extra_headers = format_headers(options.extra_headers);
  return config;
}
}  // namespace

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  if (running_) return ok_status();
  // OpenSSL writes to sockets with write(2): a client that vanished must not kill the process.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    std::signal(SIGPIPE, SIG_IGN);
  }
  if (options_.tls) {
    auto tls = TlsContext::create(*options_.tls);
    if (!tls.ok()) return tls.error();
    tls_ = std::move(tls.value());
  }
  auto fd = open_listener(options_.listen, options_.backlog);
  if (!fd.ok()) return fd.error();
  listen_fd_ = fd.value();
  port_ = bound_port(listen_fd_);
  connection_config_ = std::make_unique<ConnectionConfig>(connection_config(options_));
  workers_ = std::make_unique<WorkerPool>(options_.worker_threads, options_.max_pending_work);
  running_ = true;
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    loops_.push_back(std::make_unique<Loop>(*this, *connection_config_));
    if (Status started = loops_.back()->start(); !started.ok()) {
      stop();
      return started;
    }
  }
  return ok_status();
}

void HttpServer::stop() {
  if (!running_) return;
  running_ = false;
  handler_.cancel();  // blocking handlers return now; their answers go nowhere
  for (auto& loop : loops_) loop->stop();
  if (workers_) workers_->stop();
  loops_.clear();  // after the workers: they post answers to the loops
  workers_.reset();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

Status HttpServer::reload_tls() {
  if (!tls_) return ok_status();
  return tls_->reload();
}

}  // namespace pghalo::api
