#include "api/testing/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace pghalo::api::testing {
namespace {

MonoTime now() { return std::chrono::steady_clock::now(); }

int remaining_ms(MonoTime deadline) {
  auto left = std::chrono::duration_cast<Duration>(deadline - now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool wait_fd(int fd, short events, MonoTime deadline) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, remaining_ms(deadline)) > 0;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::unique_ptr<RawClient> RawClient::connect(int port, Duration timeout,
                                              const TlsClientOptions* tls) {
  MonoTime deadline = now() + timeout;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return nullptr;
  }
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (tls == nullptr) return std::unique_ptr<RawClient>(new RawClient(fd, nullptr, nullptr));
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!tls->cafile.empty()) {
    SSL_CTX_load_verify_locations(ctx, tls->cafile.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!tls->certfile.empty()) {
    SSL_CTX_use_certificate_chain_file(ctx, tls->certfile.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, tls->keyfile.c_str(), SSL_FILETYPE_PEM);
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  auto client = std::unique_ptr<RawClient>(new RawClient(fd, ctx, ssl));
  if (SSL_connect(ssl) != 1 || now() > deadline) {
    ERR_clear_error();
    return nullptr;
  }
  // TLS 1.3 reports a rejected client certificate only on the first read: probe for it
  // without blocking (session tickets alone make the socket readable).
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 100) > 0) {
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    char byte;
    int n = SSL_peek(ssl, &byte, 1);
    int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n);
    ::fcntl(fd, F_SETFL, flags);
    ERR_clear_error();
    if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ) return nullptr;
  }
  return client;
}

RawClient::~RawClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    long n = ssl_ ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                  : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawClient::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

void RawClient::reset() {
  linger abort{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd_);
  fd_ = -1;
}

bool RawClient::fill(MonoTime deadline) {
  if (!(ssl_ && SSL_pending(ssl_) > 0) && !wait_fd(fd_, POLLIN, deadline)) return false;
  char chunk[16384];
  long n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    ERR_clear_error();
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<RawResponse> RawClient::read_response(Duration timeout, bool head_request) {
  MonoTime deadline = now() + timeout;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  RawResponse response;
  std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  response.status_line = head.substr(0, line_end);
  if (response.status_line.size() >= 12) response.status = std::stoi(response.status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                        : line_end - start);
    std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::size_t value = line.find_first_not_of(' ', colon + 1);
    response.headers[lower(line.substr(0, colon))] =
        value == std::string::npos ? "" : line.substr(value);
  }
  auto length = response.headers.find("content-length");
  if (head_request || length == response.headers.end()) return response;
  std::size_t want = std::stoul(length->second);
  while (buffer_.size() < want) {
    if (!fill(deadline)) return std::nullopt;
  }
  response.body = buffer_.substr(0, want);
  buffer_.erase(0, want);
  return response;
}

std::string RawClient::read_until_close(Duration timeout, bool* closed) {
  MonoTime deadline = now() + timeout;
  bool eof = false;
  while (now() < deadline) {
    if (!(ssl_ && SSL_pending(ssl_) > 0) && !wait_fd(fd_, POLLIN, deadline)) break;
    char chunk[16384];
    long n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      ERR_clear_error();
      eof = true;
      break;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  if (closed != nullptr) *closed = eof;
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

std::string RawClient::server_certificate_serial() const {
  if (ssl_ == nullptr) return {};
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(serial);
  std::string out = hex;
  OPENSSL_free(hex);
  BN_free(serial);
  X509_free(cert);
  return out;
}

RawResponse request_once(int port, const std::string& bytes, const TlsClientOptions* tls) {
  auto client = RawClient::connect(port, Duration(2000), tls);
  if (!client || !client->send(bytes)) return {};
  return client->read_response().value_or(RawResponse{});
}

std::unique_ptr<HttpServer> start_server(HttpServerOptions options, HttpHandler& handler) {
  constexpr int kFirst = 19000, kCount = 200;
  int start = static_cast<int>(::getpid() % kCount);
  for (int i = 0; i < kCount; ++i) {
    int port = kFirst + (start + i) % kCount;
    options.listen = "127.0.0.1:" + std::to_string(port);
    auto server = std::make_unique<HttpServer>(options, handler);
    Status started = server->start();
    if (started.ok()) return server;
    if (started.error().message.find("in use") == std::string::npos) return nullptr;
  }
  return nullptr;
}

}  // namespace pghalo::api::testing
