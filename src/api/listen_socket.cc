#include "api/listen_socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace pghalo::api {
namespace {

Error socket_error(const std::string& what) {
  return make_error(ErrorCode::kUnavailable, what + ": " + std::strerror(errno));
}

Result<int> bind_listen(const sockaddr* address, socklen_t length, int family, int backlog,
                        const std::string& listen) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return socket_error("cannot create a socket for restapi.listen " + listen);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) {
    int zero = 0;  // dual-stack: also accept IPv4 on an IPv6 wildcard socket
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (::bind(fd, address, length) != 0 || ::listen(fd, backlog) != 0) {
    Error error = socket_error("cannot listen on restapi.listen " + listen);
    ::close(fd);
    return error;
  }
  return fd;
}

}  // namespace

Result<HostPortText> parse_listen(const std::string& listen) {
  std::string_view text = trim(listen);
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      "restapi.listen '" + listen + "' must be <host>:<port>");
  }
  HostPortText out;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  out.host = host == "*" ? std::string() : std::string(host);
  auto port = parse_int64(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return make_error(ErrorCode::kInvalidArgument,
                      "restapi.listen '" + listen + "' has no valid port (0-65535)");
  }
  out.port = static_cast<int>(*port);
  return out;
}

Result<int> open_listener(const std::string& listen, int backlog) {
  auto parsed = parse_listen(listen);
  if (!parsed.ok()) return parsed.error();
  if (parsed->host.empty()) {
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = htons(static_cast<std::uint16_t>(parsed->port));
    auto fd = bind_listen(reinterpret_cast<sockaddr*>(&any6), sizeof any6, AF_INET6, backlog, listen);
    if (fd.ok()) return fd;
    sockaddr_in any4{};
    any4.sin_family = AF_INET;
    any4.sin_addr.s_addr = htonl(INADDR_ANY);
    any4.sin_port = htons(static_cast<std::uint16_t>(parsed->port));
    return bind_listen(reinterpret_cast<sockaddr*>(&any4), sizeof any4, AF_INET, backlog, listen);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(parsed->port);
  if (int rc = ::getaddrinfo(parsed->host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return make_error(ErrorCode::kInvalidArgument, "restapi.listen host '" + parsed->host +
                                                       "' does not resolve: " + gai_strerror(rc));
  }
  // Prefer IPv4, as Patroni does when a name has both.
  addrinfo* chosen = found;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      chosen = ai;
      break;
    }
  }
  auto fd = bind_listen(chosen->ai_addr, chosen->ai_addrlen, chosen->ai_family, backlog, listen);
  ::freeaddrinfo(found);
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
}

std::string peer_address(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, text, sizeof text);
    return text;
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
  if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
    ::inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
    return text;
  }
  ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
  return text;
}

}  // namespace pghalo::api
