#include "api/http_parser.h"

#include <algorithm>

#include "common/strings.h"

namespace pghalo::api {
namespace {

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HeadParse fail(int status, std::string message) {
  HeadParse result;
  result.status = HeadStatus::kError;
  result.error_status = status;
  result.error_message = std::move(message);
  return result;
}

// Offset just past the blank line that ends the head, or npos.
std::size_t find_head_end(std::string_view buffer) {
  std::size_t pos = 0;
  while ((pos = buffer.find('\n', pos)) != std::string_view::npos) {
    ++pos;
    if (pos < buffer.size() && buffer[pos] == '\n') return pos + 1;
    if (pos + 1 < buffer.size() && buffer[pos] == '\r' && buffer[pos + 1] == '\n') return pos + 2;
  }
  return std::string_view::npos;
}

std::string_view next_line(std::string_view& rest) {
  std::size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Reduces an absolute-form target ("http://host:8008/patroni?x") to its origin form.
std::string origin_form(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() &&
        to_lower(target.substr(0, scheme.size())) == scheme) {
      std::string_view rest = target.substr(scheme.size());
      std::size_t slash = rest.find_first_of("/?");
      if (slash == std::string_view::npos) return "/";
      if (rest[slash] == '?') return "/" + std::string(rest.substr(slash));
      return std::string(rest.substr(slash));
    }
  }
  return std::string(target);
}

bool parse_request_line(std::string_view line, HeadParse& out) {
  std::size_t first = line.find(' ');
  std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    out = fail(400, "malformed request line (expected: METHOD /path HTTP/1.1)");
    return false;
  }
  std::string_view method = line.substr(0, first);
  std::string_view raw_target = trim_ows(line.substr(first + 1, last - first - 1));
  std::string_view version = line.substr(last + 1);
  if (!is_token(method)) {
    out = fail(400, "malformed request method");
    return false;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    out = fail(400, "malformed HTTP version '" + std::string(version.substr(0, 16)) + "'");
    return false;
  }
  if (version[5] != '1') {
    out = fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    return false;
  }
  const std::string normalized = origin_form(raw_target);
  std::string_view target = normalized;
  if (target.empty() || (target.front() != '/' && target != "*") ||
      target.find_first_of(" \t") != std::string_view::npos) {
    out = fail(400, "malformed request target (expected a path starting with '/')");
    return false;
  }
  target = target.substr(0, target.find('#'));
  std::size_t question = target.find('?');
  out.request.method = std::string(method);
  out.request.path = std::string(target.substr(0, question));
  if (out.request.path.empty()) out.request.path = "/";
  if (question != std::string_view::npos) out.request.query = parse_query(target.substr(question + 1));
  out.request.http_minor = version[7] - '0';
  return true;
}

bool has_token(std::string_view list, std::string_view token) {
  for (const auto& item : split(list, ',')) {
    if (to_lower(trim(item)) == token) return true;
  }
  return false;
}

// Applies the headers that frame the message: Content-Length, Transfer-Encoding, Connection,
// Expect.
bool apply_framing(HeadParse& out, const HeadLimits& limits) {
  Request& request = out.request;
  out.keep_alive = request.http_minor >= 1;
  for (const auto& [name, value] : request.headers) {
    if (name == "content-length") {
      auto length = parse_uint64(value);
      if (!length) {
        out = fail(400, "Content-Length must be a non-negative integer, got '" +
                            std::string(value.substr(0, 32)) + "'");
        return false;
      }
      if (request.content_length && *request.content_length != *length) {
        out = fail(400, "conflicting Content-Length headers");
        return false;
      }
      request.content_length = *length;
    } else if (name == "transfer-encoding") {
      out = fail(411, "Transfer-Encoding is not supported: send the body with a Content-Length");
      return false;
    } else if (name == "connection") {
      if (has_token(value, "close")) {
        out.keep_alive = false;
      } else if (has_token(value, "keep-alive")) {
        out.keep_alive = true;
      }
    } else if (name == "expect") {
      if (to_lower(value) != "100-continue") {
        out = fail(417, "unsupported expectation '" + std::string(value.substr(0, 32)) + "'");
        return false;
      }
      out.expect_continue = request.http_minor >= 1;
    }
  }
  if (request.content_length && *request.content_length > limits.max_body_bytes) {
    bool keep_alive = out.keep_alive;
    out = fail(413, "request body of " + std::to_string(*request.content_length) +
                        " bytes is larger than the limit of " +
                        std::to_string(limits.max_body_bytes) + " bytes");
    out.keep_alive = keep_alive;
    return false;
  }
  return true;
}

}  // namespace

HeadParse parse_request_head(std::string_view buffer, const HeadLimits& limits) {
  // Tolerate blank lines before the request line (RFC 9112 2.2), e.g. after a previous body.
  std::size_t skipped = 0;
  while (skipped < buffer.size() && (buffer[skipped] == '\r' || buffer[skipped] == '\n')) {
    ++skipped;
  }
  std::string_view data = buffer.substr(skipped);
  std::size_t end = find_head_end(data);
  if (end == std::string_view::npos) {
    if (data.size() > limits.max_head_bytes) {
      return fail(431, "request line and headers are larger than " +
                           std::to_string(limits.max_head_bytes) + " bytes");
    }
    return HeadParse{};
  }
  if (end > limits.max_head_bytes) {
    return fail(431, "request line and headers are larger than " +
                         std::to_string(limits.max_head_bytes) + " bytes");
  }
  HeadParse out;
  std::string_view rest = data.substr(0, end);
  if (!parse_request_line(next_line(rest), out)) return out;
  while (!rest.empty()) {
    std::string_view line = next_line(rest);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      return fail(400, "obsolete header line folding is not supported");
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return fail(400, "malformed header line '" + std::string(line.substr(0, 40)) + "'");
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\0' || c == '\r'; })) {
      return fail(400, "control characters in a header value");
    }
    if (out.request.headers.size() >= limits.max_headers) {
      return fail(431, "more than " + std::to_string(limits.max_headers) + " header lines");
    }
    out.request.headers.emplace_back(to_lower(line.substr(0, colon)), std::string(value));
  }
  if (!apply_framing(out, limits)) return out;
  out.status = HeadStatus::kComplete;
  out.head_bytes = skipped + end;
  return out;
}

std::string url_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  for (const auto& pair : split(query, '&')) {
    std::size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    std::string value = url_decode(std::string_view(pair).substr(eq + 1), true);
    if (value.empty()) continue;
    out.emplace(url_decode(std::string_view(pair).substr(0, eq), true), std::move(value));
  }
  return out;
}

}  // namespace pghalo::api
