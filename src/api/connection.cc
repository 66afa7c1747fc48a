#include "api/connection.h"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace pghalo::api {
namespace {

constexpr std::uint32_t kIn = EPOLLIN;
constexpr std::uint32_t kOut = EPOLLOUT;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr Duration kDrainTime{1000};
constexpr std::size_t kDrainBytes = 256 * 1024;

// "Wed, 26 Nov 2026 20:45:44 GMT", formatted at most once a second per thread.
const std::string& http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buffer;
  }
  return cached;
}

void append_status_line(std::string& out, const char* version, int status) {
  out += version;
  out += ' ';
  out += std::to_string(status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
}

}  // namespace

void serialize_response(const Response& response, int request_minor, bool keep_alive,
                        const std::string& extra_headers, std::string& out, bool head_request) {
  if (response.status_line_only) {
    // HAProxy and confd read the status line only; Patroni sends exactly this.
    append_status_line(out, "HTTP/1.0", response.status);
    out += "\r\n";
    return;
  }
  std::string_view body = response.body_view();
  append_status_line(out, request_minor == 0 ? "HTTP/1.0" : "HTTP/1.1", response.status);
  out += "Server: pghalo\r\nDate: ";
  out += http_date();
  out += "\r\n";
  if (!response.content_type.empty()) {
    out += "Content-Type: ";
    out += response.content_type;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (request_minor == 0) {
    out += "Connection: keep-alive\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (response.extra_headers) out += extra_headers;
  out += "\r\n";
  if (!head_request) out += body;
}

Connection::Connection(std::uint64_t id, int fd, std::string client_ip, SSL* ssl,
                       const ConnectionConfig& config, MonoTime now)
    : id_(id),
      fd_(fd),
      ssl_(ssl),
      client_ip_(std::move(client_ip)),
      config_(config),
      state_(ssl ? State::kHandshake : State::kReading),
      since_(now) {}

Connection::~Connection() { close(); }

void Connection::close() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  state_ = State::kClosed;
}

std::uint32_t Connection::wanted_events() const {
  switch (state_) {
    case State::kHandshake:
    case State::kReading:
      return ssl_wants_write_ ? kIn | kOut : kIn;
    case State::kWriting:
      return ssl_wants_read_ ? kIn : kOut;
    case State::kDraining:
      return kIn;
    case State::kWorking:
    case State::kClosed:
      return 0;
  }
  return 0;
}

MonoTime Connection::deadline() const {
  switch (state_) {
    case State::kHandshake:
      return since_ + config_.request_timeout;
    case State::kReading:
      return since_ + (in_.empty() && !head_ ? config_.idle_timeout : config_.request_timeout);
    case State::kWriting:
      return since_ + config_.write_timeout;
    case State::kDraining:
      return since_ + kDrainTime;
    case State::kWorking:
    case State::kClosed:
      return MonoTime::max();
  }
  return MonoTime::max();
}

namespace {
// errno after a failed recv/send: -1 try later, -2 broken.
long socket_failure() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2; }
}  // namespace

// SSL_read/SSL_write result `n` as read_some/write_some report it. TLS may need the opposite
// direction to progress (renegotiation, key updates): that is noted in `wants_other`.
long Connection::ssl_outcome(int n, int same_direction_error, bool& wants_other) {
  wants_other = false;
  if (n > 0) return n;
  int error = SSL_get_error(ssl_, n);
  if (error == same_direction_error) return -1;
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    wants_other = true;
    return -1;
  }
  ERR_clear_error();
  return error == SSL_ERROR_ZERO_RETURN ? 0 : -2;
}

long Connection::read_some(char* buffer, std::size_t size) {
  if (ssl_ != nullptr) {
    int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    return ssl_outcome(n, SSL_ERROR_WANT_READ, ssl_wants_write_);
  }
  ssize_t n = ::recv(fd_, buffer, size, 0);
  return n >= 0 ? n : socket_failure();
}

long Connection::write_some(const char* data, std::size_t size) {
  if (ssl_ != nullptr) {
    int n = SSL_write(ssl_, data, static_cast<int>(size));
    long result = ssl_outcome(n, SSL_ERROR_WANT_WRITE, ssl_wants_read_);
    return result == 0 ? -2 : result;
  }
  ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
  return n >= 0 ? n : socket_failure();
}

void Connection::on_ready(MonoTime now) {
  switch (state_) {
    case State::kHandshake:
      handshake(now);
      if (state_ == State::kReading) read_available(now);
      break;
    case State::kReading:
      read_available(now);
      break;
    case State::kWriting:
      flush(now);
      break;
    case State::kDraining:
      drain();
      break;
    case State::kWorking:
    case State::kClosed:
      break;
  }
}

void Connection::handshake(MonoTime now) {
  ssl_wants_write_ = false;
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    X509* certificate = SSL_get1_peer_certificate(ssl_);
    client_certificate_ = certificate != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK;
    if (certificate != nullptr) X509_free(certificate);
    state_ = State::kReading;
    since_ = now;
    return;
  }
  int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_WANT_READ) return;
  if (error == SSL_ERROR_WANT_WRITE) {
    ssl_wants_write_ = true;
    return;
  }
  ERR_clear_error();  // a failed handshake (no or bad client certificate, not TLS): just close
  close();
}

std::size_t Connection::read_cap() const {
  std::size_t cap = config_.limits.max_head_bytes + 4;
  if (head_ && head_->request.content_length) cap = *head_->request.content_length;
  return cap;
}

void Connection::read_available(MonoTime now) {
  char buffer[kReadChunk];
  while (state_ == State::kReading && !ready_ && in_.size() <= read_cap()) {
    long n = read_some(buffer, sizeof buffer);
    if (n == -1) break;
    if (n == -2) {
      close();
      return;
    }
    if (n == 0) {
      peer_closed_ = true;  // a request sent before the half-close still gets its answer
      break;
    }
    if (in_.empty() && !head_) since_ = now;  // a new request starts its clock
    in_.append(buffer, static_cast<std::size_t>(n));
    parse(now);
  }
  if (state_ == State::kReading && !ready_ && peer_closed_) close();
}

void Connection::parse(MonoTime now) {
  if (ready_ || state_ != State::kReading) return;
  if (!head_) {
    HeadParse parsed = parse_request_head(in_, config_.limits);
    if (parsed.status == HeadStatus::kIncomplete) return;
    if (parsed.status == HeadStatus::kError) {
      response_minor_ = 0;
      fail(parsed.error_status, parsed.error_message, now);
      return;
    }
    in_.erase(0, parsed.head_bytes);
    head_ = std::move(parsed);
  }
  std::size_t length = head_->request.content_length.value_or(0);
  if (in_.size() < length) {
    if (head_->expect_continue && !sent_continue_) send_continue();
    return;
  }
  Request request = std::move(head_->request);
  keep_alive_ = head_->keep_alive;
  head_.reset();
  request.body = in_.substr(0, length);
  in_.erase(0, length);
  request.client_ip = client_ip_;
  request.tls = ssl_ != nullptr;
  request.client_certificate = client_certificate_;
  response_minor_ = request.http_minor;
  head_request_ = request.method == "HEAD";
  sent_continue_ = false;
  ready_ = std::move(request);
  state_ = State::kWorking;
}

void Connection::send_continue() {
  // Best effort: 25 bytes fit in any socket buffer; a client that gets no 100 sends the body
  // after its own timeout anyway.
  static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
  sent_continue_ = true;
  (void)write_some(kContinue, sizeof kContinue - 1);
}

std::optional<Request> Connection::take_request() {
  std::optional<Request> request = std::move(ready_);
  ready_.reset();
  return request;
}

void Connection::respond(const Response& response, MonoTime now) {
  if (state_ == State::kClosed) return;
  close_after_write_ = !keep_alive_ || response.close || response.status_line_only || peer_closed_;
  out_.clear();
  out_pos_ = 0;
  serialize_response(response, response_minor_, !close_after_write_, config_.extra_headers, out_,
                     head_request_);
  state_ = State::kWriting;
  since_ = now;
  flush(now);
}

void Connection::fail(int status, const std::string& message, MonoTime now) {
  keep_alive_ = false;
  head_request_ = false;
  head_.reset();
  in_.clear();
  respond(error_response(status, message), now);
}

void Connection::flush(MonoTime now) {
  while (out_pos_ < out_.size()) {
    long n = write_some(out_.data() + out_pos_, out_.size() - out_pos_);
    if (n == -1) return;
    if (n < 0) {
      close();
      return;
    }
    out_pos_ += static_cast<std::size_t>(n);
  }
  finish_response(now);
}

void Connection::finish_response(MonoTime now) {
  out_.clear();
  out_pos_ = 0;
  if (close_after_write_) {
    begin_close(now);
    return;
  }
  state_ = State::kReading;
  since_ = now;
  parse(now);  // a pipelined request may already be buffered
  if (state_ == State::kReading && !ready_ && ssl_ != nullptr && SSL_pending(ssl_) > 0) {
    read_available(now);  // TLS may hold decrypted bytes that epoll cannot announce
  }
}

void Connection::begin_close(MonoTime now) {
  if (ssl_ != nullptr) {
    (void)SSL_shutdown(ssl_);
    ERR_clear_error();
  }
  // Half-close and read what the client still sends, so unread input does not turn our close
  // into a reset that could destroy the response before the client reads it.
  ::shutdown(fd_, SHUT_WR);
  in_.clear();
  state_ = State::kDraining;
  since_ = now;
  drain();
}

void Connection::drain() {
  char buffer[kReadChunk];
  std::size_t drained = 0;
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      drained += static_cast<std::size_t>(n);
      if (drained < kDrainBytes) continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return;
    }
    close();
    return;
  }
}

void Connection::on_deadline(MonoTime now) {
  if (now < deadline()) return;
  bool mid_request = state_ == State::kReading && (!in_.empty() || head_);
  if (mid_request) {
    fail(408, "the request was not completed within " +
                  std::to_string(config_.request_timeout.count() / 1000) + " s",
         now);
    return;
  }
  close();
}

}  // namespace pghalo::api
