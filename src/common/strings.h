// Small string helpers shared by the adapters: strict number parsing, splitting, base64 (etcd's
// JSON gateway), PostgreSQL-style size units. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pghalo {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char separator, bool skip_empty = true);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string to_lower(std::string_view s);
std::string to_upper_ascii(std::string_view s);

// Whole-string integer parse: no leading/trailing junk, no overflow.
std::optional<std::int64_t> parse_int64(std::string_view s);
std::optional<std::uint64_t> parse_uint64(std::string_view s);
std::optional<double> parse_double(std::string_view s);

// Byte sizes as Patroni's /replica?lag= accepts them: "1048576", "1024kB", "16MB", "1GB", "1TB"
// (units are powers of 1024; case-sensitive like PostgreSQL; "B" allowed).
std::optional<std::uint64_t> parse_byte_size(std::string_view s);

// PostgreSQL LSN text "16/B374D848" <-> absolute byte position.
std::optional<std::uint64_t> parse_lsn(std::string_view s);
std::string format_lsn(std::uint64_t lsn);

std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

// etcd range_end for a prefix: the prefix with its last byte incremented ("\0" if none).
std::string prefix_range_end(std::string_view prefix);

}  // namespace pghalo
