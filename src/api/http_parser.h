// Parsing of an HTTP/1.0 or HTTP/1.1 request head (request line and headers) and of query
// strings. Pure functions over bytes the server has already read: no I/O, no allocation beyond
// the parsed values. Not a general parser: no chunked bodies (rejected with a clear message), no
// HTTP/0.9, no obsolete line folding. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/http_message.h"

namespace pghalo::api {

struct HeadLimits {
  std::size_t max_head_bytes = 32 * 1024;  // request line + headers
  std::size_t max_headers = 100;
  std::uint64_t max_body_bytes = 1024 * 1024;
};

enum class HeadStatus {
  kIncomplete,  // need more bytes
  kComplete,    // head parsed; the body (content_length bytes) follows
  kError,       // answer `error_status` with `error_message` and close
};

struct HeadParse {
  HeadStatus status = HeadStatus::kIncomplete;
  std::size_t head_bytes = 0;  // length of the head including the blank line
  Request request;             // method, path, query, version, headers, content_length
  bool keep_alive = false;     // the connection may serve another request after this one
  bool expect_continue = false;
  int error_status = 0;
  std::string error_message;
};

// Looks for a complete head at the start of `buffer` and parses it. Lines may end in CRLF or LF.
HeadParse parse_request_head(std::string_view buffer, const HeadLimits& limits);

// "a=1&b=x%20y&a=2" -> {a: "1", b: "x y"} following Python's parse_qs: '+' is a space, the first
// value of a repeated key wins, pairs without '=' or with an empty value are dropped.
std::map<std::string, std::string> parse_query(std::string_view query);

// Percent-decoding; malformed escapes are kept as they are (like Python's unquote).
std::string url_decode(std::string_view text, bool plus_is_space);

}  // namespace pghalo::api
