// HTTP request and response values exchanged between the HTTP server (http_server.h) and the REST
// routes (rest_api.h). The server parses bytes into a Request and serialises a Response; the routes
// never see sockets. Not an HTTP library: only what Patroni's REST API needs (no chunked bodies,
// no multipart, no cookies). Value types; thread-safe as values.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pghalo::api {

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string path;    // target without the query string, not percent-decoded (like Patroni)
  // Query parameters, percent-decoded; a repeated key keeps its first value and a key with an
  // empty value is dropped (Python's parse_qs, which Patroni uses).
  std::map<std::string, std::string> query;
  int http_minor = 1;  // HTTP/1.<minor>
  // Header names lower-cased; values trimmed. Repeated headers keep every occurrence.
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::uint64_t> content_length;  // absent when the header was not sent
  std::string body;

  std::string client_ip;  // textual address of the peer; IPv4-mapped IPv6 shown as IPv4
  bool tls = false;
  bool client_certificate = false;  // TLS with a client certificate that verified

  // First value of a header (name in lower case), if present.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  // When set, used instead of `body`: a document rendered once per status snapshot and shared by
  // every request that answers with it (saves a copy per health check).
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers of this response
  // Write only "HTTP/1.0 <code> <reason>\r\n\r\n" and close (Patroni's HEAD/OPTIONS and
  // /liveness, /readiness answers; HAProxy reads only the status line).
  bool status_line_only = false;
  // Close the connection after this response (error pages, like Python's send_error).
  bool close = false;
  // Add restapi.http_extra_headers (Patroni adds them to normal responses, not to error pages).
  bool extra_headers = true;

  std::string_view body_view() const { return shared_body ? *shared_body : body; }
};

// "OK", "Service Unavailable", ...; "Unknown" for codes we never send.
std::string_view reason_phrase(int status);

// A plain-text answer. Patroni labels its text bodies text/html, and clients (patronictl) print
// them as they are, so we do the same.
Response text_response(int status, std::string body);
Response json_response(int status, std::string body);
Response status_only_response(int status);
// An error page with the status, its reason and `message` naming the problem; closes the
// connection like Python's send_error. Used for malformed requests and for the answers Patroni
// gives with send_error (400, 411, 413, 502, ...).
Response error_response(int status, std::string_view message);

// Escapes &, <, > and quotes for the error page.
std::string html_escape(std::string_view text);

}  // namespace pghalo::api
