// Internal to the config module: the table of every configuration key Patroni 3.0.2 knows (plus
// the few later ones worth recognising), and what pghalo does with each. Unknown-key detection
// is exact because it is a lookup in this table, not a guess. Also the checker that walks a
// merged document against it.
//
// Not here: types and values (the section readers check those). Immutable data; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/tree.h"

namespace pghalo::config::internal {

enum class KeyKind {
  kSection,         // a map whose keys are checked against this table
  kValue,           // read into Config
  kFreeForm,        // a map with keys of the user's choosing (GUCs, tags, headers)
  kVerbatim,        // kept as written, contents not checked (slots, ignore_slots)
  kNotImplemented,  // a Patroni key pghalo accepts with a warning and does not act on yet
  kIgnoredHere,     // Patroni itself ignores it in this place (a dynamic key in the local file)
};

struct KnownKey {
  std::string_view pattern;  // dotted; "*" stands for any one key ("bootstrap.users.*")
  KeyKind kind;
  std::string_view note;  // for kNotImplemented / kIgnoredHere: what to know, one clause
};

std::span<const KnownKey> known_keys();

// The entry for an exact pattern, or nullptr. `etcd.` rows are looked up as `etcd3.`, and the
// user sections (postgresql.superuser, postgresql.authentication.replication, ...) as
// `postgresql.authentication.*`.
const KnownKey* find_known_key(std::string_view pattern);
std::string canonical_pattern(std::string pattern);

// Keys only the local file may set; Patroni drops them from the dynamic configuration.
bool is_local_only_postgresql_key(std::string_view key);

// Adds an error for every key Patroni does not know (with the likely intended key when one is
// close) and a warning for every known key pghalo does not act on.
void check_keys(const Node& root, std::vector<Diagnostic>* diagnostics);

}  // namespace pghalo::config::internal
