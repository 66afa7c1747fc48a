#include "config/scalars.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/strings.h"

namespace pghalo::config::internal {
namespace {

// No number or boolean is longer; longer plain scalars are text without further work.
constexpr std::size_t kLongestTypedScalar = 80;

std::string without_underscores(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += c;
  }
  return out;
}

// True when `text` is not empty and every character is '_' or one of `allowed`.
bool made_of(std::string_view text, std::string_view allowed) {
  return !text.empty() && text.find_first_not_of(std::string(allowed) + "_") == std::string::npos;
}

std::string_view without_sign(std::string_view text) {
  return !text.empty() && (text[0] == '-' || text[0] == '+') ? text.substr(1) : text;
}

// Integers in bases 2, 8, 10 and 16, as YAML 1.1 writes them. Sexagesimal ("1:30") is left out:
// no Patroni setting uses it, and reading "22:30" as 1350 would surprise more than help.
std::optional<std::int64_t> yaml11_int(std::string_view text) {
  std::string_view body = without_sign(text);
  int base = 0;
  if (body.substr(0, 2) == "0b" && made_of(body.substr(2), "01")) {
    base = 2;
  } else if (body.substr(0, 2) == "0x" && made_of(body.substr(2), "0123456789abcdefABCDEF")) {
    base = 16;
  } else if (body.size() > 1 && body[0] == '0' && made_of(body.substr(1), "01234567")) {
    base = 8;
  } else if (body == "0" || (!body.empty() && body[0] >= '1' && body[0] <= '9' &&
                             (body.size() == 1 || made_of(body.substr(1), "0123456789")))) {
    base = 10;
  } else {
    return std::nullopt;
  }
  std::string digits = without_underscores(base == 2 || base == 16 ? body.substr(2) : body);
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(digits.c_str(), &end, base);
  if (digits.empty() || errno != 0 || *end != '\0') return std::nullopt;
  return text[0] == '-' ? -value : value;
}

// [-+]? digits? "." digits? ([eE][-+]digits)?, plus .inf and .nan, as YAML 1.1 writes floats.
std::optional<double> yaml11_float(std::string_view text) {
  std::string_view body = without_sign(text);
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return text[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return std::nan("");
  std::size_t dot = body.find('.');
  if (dot == std::string_view::npos || body == ".") return std::nullopt;
  std::string_view whole = body.substr(0, dot);
  std::string_view fraction = body.substr(dot + 1);
  std::size_t e = fraction.find_first_of("eE");
  std::string_view exponent = e == std::string_view::npos ? "" : fraction.substr(e + 1);
  fraction = fraction.substr(0, e);
  bool ok = (whole.empty() || (whole[0] != '_' && made_of(whole, "0123456789"))) &&
            (fraction.empty() || made_of(fraction, "0123456789")) &&
            (e == std::string_view::npos ||
             (exponent.size() >= 2 && (exponent[0] == '+' || exponent[0] == '-') &&
              exponent.substr(1).find_first_not_of("0123456789") == std::string_view::npos));
  if (!ok) return std::nullopt;
  return parse_double(without_underscores(text));
}

}  // namespace

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string quote_value(std::string_view text) {
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMax)) + "...'";
}

std::string shown(const nlohmann::json& value) {
  std::string text = value.dump();
  constexpr std::size_t kMax = 60;
  return text.size() <= kMax ? text : text.substr(0, kMax) + "...";
}

bool is_yaml_null(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

nlohmann::json resolve_plain_scalar(std::string_view text) {
  if (is_yaml_null(text)) return nullptr;
  if (text.size() > kLongestTypedScalar) return std::string(text);
  static const char* const kTrue[] = {"yes",  "Yes", "YES", "true", "True",
                                      "TRUE", "on",  "On",  "ON"};
  static const char* const kFalse[] = {"no",    "No",  "NO",  "false", "False",
                                       "FALSE", "off", "Off", "OFF"};
  for (const char* t : kTrue) {
    if (text == t) return true;
  }
  for (const char* f : kFalse) {
    if (text == f) return false;
  }
  if (auto i = yaml11_int(text)) return *i;
  if (auto d = yaml11_float(text)) return *d;
  return std::string(text);
}

std::optional<bool> parse_bool_text(std::string_view text) {
  std::string lower = to_lower(text);
  if (lower == "on" || lower == "true" || lower == "yes" || lower == "1") return true;
  if (lower == "off" || lower == "false" || lower == "no" || lower == "0") return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int_text(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text[0] == '+' && (text[1] == '-' || text[1] == '+')) return std::nullopt;
  return parse_int64(text);
}

std::optional<std::int64_t> json_to_int(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9.0e18) return std::nullopt;
    return static_cast<std::int64_t>(d);  // Python's int() truncates, and so does this
  }
  if (value.is_string()) return parse_int_text(value.get<std::string>());
  return std::nullopt;
}

std::optional<bool> json_to_bool(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) {
    auto i = value.get<std::int64_t>();
    if (i == 0 || i == 1) return i == 1;
    return std::nullopt;
  }
  if (value.is_string()) return parse_bool_text(value.get<std::string>());
  return std::nullopt;
}

std::optional<std::string> json_to_guc(const nlohmann::json& value) {
  if (value.is_boolean()) return std::string(value.get<bool>() ? "on" : "off");
  if (value.is_number()) return value.dump();
  if (value.is_string()) return value.get<std::string>();
  return std::nullopt;
}

std::optional<HostPort> split_host_port(std::string_view text, int default_port,
                                        std::string* problem) {
  text = trim(text);
  std::size_t colon = text.rfind(':');
  bool bracketed_without_port = !text.empty() && text.back() == ']';
  if (colon == std::string_view::npos || bracketed_without_port) {
    if (default_port <= 0) {
      *problem = "has no port (expected host:port)";
      return std::nullopt;
    }
    std::string host(trim(text));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    return HostPort{host, default_port};
  }
  std::string_view port_text = trim(text.substr(colon + 1));
  auto port = parse_int64(port_text);
  if (!port) {
    *problem = "has a port that is not a number ('" + std::string(port_text) + "')";
    return std::nullopt;
  }
  if (*port < 1 || *port > 65535) {
    *problem = "has port " + std::to_string(*port) + ", outside 1-65535";
    return std::nullopt;
  }
  std::vector<std::string> hosts = split(text.substr(0, colon), ',', false);
  for (auto& host : hosts) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
  }
  return HostPort{join(hosts, ","), static_cast<int>(*port)};
}

std::string join_host_port(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool is_loopback_or_wildcard(std::string_view host) {
  std::string lower = to_lower(trim(host));
  if (lower == "localhost" || lower == "::1" || lower == "0.0.0.0" || lower == "::" ||
      lower == "*" || lower.empty()) {
    return true;
  }
  return lower.rfind("127.", 0) == 0;
}

std::optional<std::int64_t> size_in_megabytes(std::string_view text) {
  text = trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  auto number = parse_int64(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string_view unit = trim(text.substr(digits));
  if (unit.empty() || unit == "MB") return *number;
  if (unit == "kB") return (*number + 512) / 1024;  // rounded, as PostgreSQL rounds units
  if (unit == "GB") return *number * 1024;
  if (unit == "TB") return *number * 1024 * 1024;
  return std::nullopt;
}

}  // namespace pghalo::config::internal
