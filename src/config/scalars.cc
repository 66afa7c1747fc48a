#include "config/scalars.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>

#include "common/strings.h"

namespace pghalo::config::internal {
namespace {

constexpr std::size_t kLongestTypedScalar = 80;

std::string without_underscores(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += c;
  }
  return out;
}

// Integers in bases 2, 8, 10 and 16, as YAML 1.1 writes them. Sexagesimal ("1:30") is left out:
// no Patroni setting uses it, and reading "22:30" as 1350 would surprise more than help.
std::optional<std::int64_t> yaml11_int(std::string_view text) {
  static const std::regex kInt("[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|0|[1-9][0-9_]*)",
                               std::regex::optimize);
  std::string s(text);
  if (!std::regex_match(s, kInt)) return std::nullopt;
  bool negative = s[0] == '-';
  std::string digits = without_underscores(s[0] == '-' || s[0] == '+' ? s.substr(1) : s);
  int base = 10;
  if (digits.rfind("0b", 0) == 0) {
    base = 2;
    digits = digits.substr(2);
  } else if (digits.rfind("0x", 0) == 0) {
    base = 16;
    digits = digits.substr(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
  }
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(digits.c_str(), &end, base);
  if (errno != 0 || end == digits.c_str() || *end != '\0') return std::nullopt;
  return negative ? -value : value;
}

std::optional<double> yaml11_float(std::string_view text) {
  static const std::regex kFloat("[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?",
                                 std::regex::optimize);
  std::string s(text);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return HUGE_VAL;
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -HUGE_VAL;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::nan("");
  if (s == "." || !std::regex_match(s, kFloat)) return std::nullopt;
  return parse_double(without_underscores(s));
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
  // No number or boolean is this long, and std::regex recurses per character: a long value
  // could exhaust the stack.
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
