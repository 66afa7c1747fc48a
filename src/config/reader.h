// Internal to the config module: typed reading of one map of the document. Every reader accepts
// the forms Patroni accepts (numbers written as strings, booleans as on/off/yes/no, ...) and
// reports anything else as an error at the value's file:line:column with its dotted key.
//
// Not here: which keys exist (known_keys.h checks that first). Not thread-safe: one Section
// appends to one diagnostics list.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/tree.h"

namespace pghalo::config::internal {

using Severity = Diagnostic::Severity;

// The scalar as an integer (8, "8", 0x10), or nullopt.
std::optional<std::int64_t> node_to_int(const Node& node);
// The scalar as a Patroni boolean (true/false/on/off/yes/no/1/0, any case), or nullopt.
std::optional<bool> node_to_bool(const Node& node);
// The scalar as a GUC value string (plain `on` -> "on", 8 -> "8", 0.9 -> "0.9"), or nullopt.
std::optional<std::string> node_to_guc(const Node& node);

class Section {
 public:
  // `map` may be null (an absent section: every read finds nothing). `origin` locates the
  // section itself, for "missing key" messages.
  Section(const Node* map, std::string path, Origin origin, std::vector<Diagnostic>* diagnostics);

  bool present() const { return map_ != nullptr; }
  const Node* node() const { return map_; }
  const std::string& path() const { return path_; }
  const Origin& origin() const { return origin_; }
  std::string path_of(std::string_view key) const;
  const Entry* entry(std::string_view key) const;
  bool has(std::string_view key) const { return entry(key) != nullptr; }

  // A nested map. An error when the key holds something else; an absent Section when missing.
  Section section(std::string_view key) const;

  // Each reader leaves `*out` unchanged when the key is absent or its value is invalid, and
  // returns true only when it stored a value.
  bool read(std::string_view key, std::string* out) const;
  bool read(std::string_view key, std::optional<std::string>* out) const;
  bool read(std::string_view key, bool* out) const;
  bool read(std::string_view key, int* out, std::int64_t min, std::int64_t max) const;
  // A list of scalars; `allow_comma_string` also takes "a,b,c" (Patroni's hosts, allowlist).
  bool read(std::string_view key, std::vector<std::string>* out,
            bool allow_comma_string = false) const;
  // A map of scalars, values as GUC strings.
  bool read(std::string_view key, std::map<std::string, std::string>* out) const;

  // A required string: an error naming the key when it is missing or empty.
  bool require(std::string_view key, std::string* out) const;
  // "is required but missing", unless a mistyped key nearby was already reported as probably
  // meaning this one (one mistake, one error).
  void report_missing(std::string_view key, const std::string& detail) const;

  void report(Severity severity, std::string_view key, std::string message) const;
  void report_at(Severity severity, const Origin& origin, std::string key,
                 std::string message) const;
  void wrong_type(std::string_view key, const Node& value, std::string_view expected) const;

 private:
  const Node* scalar_or_error(std::string_view key, std::string_view expected) const;

  const Node* map_;
  std::string path_;
  Origin origin_;
  std::vector<Diagnostic>* diagnostics_;
};

// The root of a document as a Section.
Section root_section(const Node& root, std::vector<Diagnostic>* diagnostics);

}  // namespace pghalo::config::internal
