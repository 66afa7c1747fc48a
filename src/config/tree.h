// Internal to the config module: a configuration document as a tree of maps, lists and scalars
// that remembers where each value came from (file:line:column, or the PATRONI_* variable), so
// that several YAML files and the environment can be merged and every problem can still be
// reported at its source.
//
// Not a general YAML library: it keeps what Patroni's files use (no tags beyond the core ones,
// anchors expanded, bounded size). Value types; thread-safe as values.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace pghalo::config::internal {

// Where a value (or a map key) was written.
struct Origin {
  std::string file;      // empty for the environment
  int line = 0;          // 1-based; 0 when unknown
  int column = 0;        // 1-based; 0 when unknown
  std::string variable;  // the PATRONI_* variable that supplied it, if any
};

struct Entry;

struct Node {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string text;            // kScalar: as written (without quotes)
  bool plain = false;          // kScalar: unquoted, so YAML 1.1 typing applies (8, on, 0.9)
  std::vector<Node> items;     // kSequence
  std::vector<Entry> entries;  // kMap: document order, keys unique (a repeated key: later wins)
  Origin origin;

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_map() const { return kind == Kind::kMap; }

  const Entry* find(std::string_view key) const;
  Entry* find(std::string_view key);
  // Sets `key` to `value`, keeping the key's place when it exists.
  Entry& set(std::string key, Node value, Origin key_origin);
  void erase(std::string_view key);
};

struct Entry {
  std::string key;
  Origin key_origin;
  Node value;
};

// "a map", "a list", "a scalar", "empty": for messages about wrong types.
std::string_view kind_name(const Node& node);

Node make_map(Origin origin);
Node make_scalar(std::string text, bool plain, Origin origin);

// Parses one YAML document. Returns nullopt (with an error diagnostic naming the file, line and
// column) for malformed YAML, several documents, unsupported tags or an oversized document. An
// empty document is an empty map. Duplicate keys keep the last value, as PyYAML does, with a
// warning. Never throws.
std::optional<Node> parse_yaml(const std::string& text, const std::string& file,
                               std::vector<Diagnostic>* diagnostics);

// One YAML value of any kind (a flow list such as "[a, b]" from an environment variable);
// an empty text is null. Errors as parse_yaml().
std::optional<Node> parse_yaml_value(const std::string& text, const std::string& file,
                                     std::vector<Diagnostic>* diagnostics);

// Patroni's patch_config(): maps merge key by key, a null in `overlay` deletes the key, anything
// else replaces.
void merge_into(Node* base, const Node& overlay);

// The value as PyYAML's safe_load would type it (plain `8` -> 8, `on` -> true, `0.9` -> 0.9,
// quoted -> string), for the parts stored verbatim (bootstrap.dcs, custom tags).
nlohmann::json to_json(const Node& node);

// The entry at a dotted path below `root` ("bootstrap.dcs.ttl"). Keys may themselves contain
// dots (GUC names such as "pg_stat_statements.max"): the longest key that matches wins.
const Entry* find_path(const Node& root, std::string_view dotted);

// Diagnostics located at an origin: file/line/column, or the variable named in the message.
Diagnostic make_diagnostic(Diagnostic::Severity severity, const Origin& origin, std::string key,
                           std::string message);

}  // namespace pghalo::config::internal
