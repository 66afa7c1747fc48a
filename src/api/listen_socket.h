// The REST API's listening socket from `restapi.listen` ("host:port", "[::1]:8008", "*:8008",
// ":8008"): '*' or an empty host listens on every address, dual-stack when the kernel allows it
// (IPv4 otherwise), as Patroni does. Also the textual peer address of an accepted socket.
// Blocking calls (name resolution, bind) happen in open_listener only. Thread-safe.
#pragma once

#include <sys/socket.h>

#include <string>

#include "common/result.h"

namespace pghalo::api {

struct HostPortText {
  std::string host;  // "" for all addresses
  int port = 0;
};

// Splits "host:port"; the error says what is wrong with the text.
Result<HostPortText> parse_listen(const std::string& listen);

// A non-blocking, close-on-exec listening TCP socket; returns the fd.
Result<int> open_listener(const std::string& listen, int backlog);

// The port a socket is bound to (for listeners opened on port 0 in tools).
int bound_port(int fd);

// "10.0.0.1" or "2001:db8::1"; IPv4-mapped IPv6 addresses are shown as IPv4.
std::string peer_address(const sockaddr_storage& address);

}  // namespace pghalo::api
