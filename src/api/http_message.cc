#include "api/http_message.h"

namespace pghalo::api {

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {
Response body_response(int status, const char* content_type, std::string body) {
  Response response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  return response;
}
}  // namespace

Response text_response(int status, std::string body) {
  return body_response(status, "text/html", std::move(body));
}

Response json_response(int status, std::string body) {
  return body_response(status, "application/json", std::move(body));
}

Response status_only_response(int status) {
  Response response;
  response.status = status;
  response.status_line_only = true;
  response.close = true;
  return response;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      default: out += c;
    }
  }
  return out;
}

Response error_response(int status, std::string_view message) {
  const std::string code = std::to_string(status);
  const std::string reason(reason_phrase(status));
  Response response;
  response.status = status;
  response.content_type = "text/html;charset=utf-8";
  response.body = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                  code + " " + reason + "</title>\n</head>\n<body>\n<h1>" + code + " " + reason +
                  "</h1>\n<p>Error code: " + code + "</p>\n<p>Message: " + html_escape(message) +
                  "</p>\n</body>\n</html>\n";
  response.close = true;
  response.extra_headers = false;
  return response;
}

}  // namespace pghalo::api
