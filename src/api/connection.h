// One client connection of the HTTP server: a non-blocking socket (optionally TLS) driven by an
// event loop through a small state machine:
//
//   handshake (TLS) -> reading -> working (the request is being answered) -> writing
//        -> reading again (keep-alive) | draining (Connection: close, errors) -> closed
//
// It reads only while a request is incomplete and up to the configured limits, so a client can
// never make it hold more than one request head plus one body. Every state but "working" has a
// deadline (handshake and request completion, keep-alive idleness, writing, draining), so slow or
// silent clients lose their connection instead of holding it. Not thread-safe: owned and driven
// by one event loop thread.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <string>

#include "api/http_message.h"
#include "api/http_parser.h"
#include "common/clock.h"

namespace pghalo::api {

struct ConnectionConfig {
  HeadLimits limits;
  Duration request_timeout{10000};  // from the first byte of a request (or accept) to its end
  Duration idle_timeout{60000};     // keep-alive connection with no request under way
  Duration write_timeout{10000};    // for the client to take a response
  std::string extra_headers;        // preformatted "Name: value\r\n" lines (http_extra_headers)
};

class Connection {
 public:
  enum class State { kHandshake, kReading, kWorking, kWriting, kDraining, kClosed };

  // Takes ownership of `fd` and `ssl` (null for plain HTTP).
  Connection(std::uint64_t id, int fd, std::string client_ip, SSL* ssl,
             const ConnectionConfig& config, MonoTime now);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  State state() const { return state_; }
  // The epoll events this state waits for (0 while working).
  std::uint32_t wanted_events() const;
  MonoTime deadline() const;

  // The socket is readable or writable: advance as far as possible without blocking.
  void on_ready(MonoTime now);
  // The complete request to answer, once (the state is then kWorking).
  std::optional<Request> take_request();
  // Starts writing the answer to the request taken; keeps the connection when both sides allow.
  void respond(const Response& response, MonoTime now);
  // Called when deadline() passed: an unfinished request gets 408, anything else is closed.
  void on_deadline(MonoTime now);
  // Closes at once (server stopping).
  void close();

 private:
  void handshake(MonoTime now);
  void read_available(MonoTime now);
  void parse(MonoTime now);
  void flush(MonoTime now);
  void finish_response(MonoTime now);
  void begin_close(MonoTime now);
  void drain();
  void send_continue();
  void fail(int status, const std::string& message, MonoTime now);
  // Reads up to `size` bytes: >0 bytes read, 0 EOF, -1 try later, -2 broken.
  long read_some(char* buffer, std::size_t size);
  long write_some(const char* data, std::size_t size);
  long ssl_outcome(int n, int same_direction_error, bool& wants_other);
  std::size_t read_cap() const;

  const std::uint64_t id_;
  int fd_;
  SSL* ssl_;
  const std::string client_ip_;
  const ConnectionConfig& config_;
  State state_;
  bool client_certificate_ = false;
  bool ssl_wants_write_ = false;  // TLS needs the socket writable to go on reading, or vice versa
  bool ssl_wants_read_ = false;
  bool peer_closed_ = false;

  std::string in_;
  std::optional<HeadParse> head_;  // parsed head of the request whose body is awaited
  std::optional<Request> ready_;
  bool keep_alive_ = false;
  bool sent_continue_ = false;
  int response_minor_ = 1;
  bool head_request_ = false;

  std::string out_;
  std::size_t out_pos_ = 0;
  bool close_after_write_ = false;

  MonoTime since_;  // start of the current deadline period
};

// Appends the bytes of `response` to `out` (status line, headers, body). `request_minor` is the
// request's HTTP/1.x version; `keep_alive` says whether the connection stays open.
// A HEAD request gets the headers (Content-Length included) without the body.
void serialize_response(const Response& response, int request_minor, bool keep_alive,
                        const std::string& extra_headers, std::string& out,
                        bool head_request = false);

}  // namespace pghalo::api
