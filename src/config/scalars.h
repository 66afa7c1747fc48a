// Internal to the config module: how Patroni reads scalar values. PyYAML types unquoted scalars
// by YAML 1.1 (`on` is true, `010` is 8); Patroni then coerces with Python's int() and its own
// parse_bool(); addresses are split like its split_host_port(). Not a validator of whole
// settings: the section readers decide what a value must be. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace pghalo::config::internal {

std::string to_upper(std::string_view text);

// User text for a message: in single quotes, cut to 60 characters ("...") so a runaway value
// cannot flood the log.
std::string quote_value(std::string_view text);
// A JSON value for a message, as JSON, cut the same way.
std::string shown(const nlohmann::json& value);

// YAML 1.1 null: "", "~", "null", "Null", "NULL".
bool is_yaml_null(std::string_view text);

// An unquoted scalar typed as PyYAML types it: bool, int, float, null or string.
nlohmann::json resolve_plain_scalar(std::string_view text);

// Patroni's parse_bool(): on/true/yes/1 and off/false/no/0, any case.
std::optional<bool> parse_bool_text(std::string_view text);

// Python int() of a string: surrounding blanks and a sign allowed, decimal digits only.
std::optional<std::int64_t> parse_int_text(std::string_view text);

// A JSON value coerced as Patroni coerces dynamic settings: int() for integers, parse_bool()
// for booleans. nullopt when the value cannot be read that way.
std::optional<std::int64_t> json_to_int(const nlohmann::json& value);
std::optional<bool> json_to_bool(const nlohmann::json& value);

// A GUC value as PostgreSQL will read it: booleans "on"/"off", numbers in decimal, strings as
// given. nullopt for null, lists and maps.
std::optional<std::string> json_to_guc(const nlohmann::json& value);

struct HostPort {
  std::string host;  // may hold several hosts separated by ',' (postgresql.listen)
  int port = 0;
};

// "host:port", "[v6]:port" or "host" (with `default_port` > 0). The port must be 1-65535.
// On failure returns nullopt and sets `*problem` to a sentence fragment ("has no port").
std::optional<HostPort> split_host_port(std::string_view text, int default_port,
                                        std::string* problem);

// "host:port", bracketing IPv6 hosts.
std::string join_host_port(const std::string& host, int port);

// 127.0.0.0/8, ::1, localhost, 0.0.0.0, ::, * : addresses other machines cannot use.
bool is_loopback_or_wildcard(std::string_view host);

// A size with PostgreSQL units read in megabytes ("128MB" -> 128, "1GB" -> 1024, "64" -> 64).
std::optional<std::int64_t> size_in_megabytes(std::string_view text);

}  // namespace pghalo::config::internal
