// check_keys(): the document walked against the table of known keys.
#include <algorithm>
#include <string>

#include "config/known_keys.h"

namespace pghalo::config::internal {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known sibling closest to a mistyped key, when it is close enough to be the intent.
std::string suggestion(const std::string& prefix, std::string_view key) {
  std::string best;
  if (key.size() > 64) return best;  // not a typo of a key; and the distance is quadratic
  std::size_t best_distance = std::string_view::npos;
  for (const auto& known : known_keys()) {
    std::string_view pattern = known.pattern;
    if (pattern.size() <= prefix.size() || pattern.substr(0, prefix.size()) != prefix) continue;
    std::string_view leaf = pattern.substr(prefix.size());
    if (leaf.find('.') != std::string_view::npos || leaf == "*") continue;
    std::size_t distance = edit_distance(key, leaf);
    std::size_t tolerance = std::max<std::size_t>(2, std::max(key.size(), leaf.size()) / 3);
    if (distance <= tolerance && distance < best_distance) {
      best_distance = distance;
      best = std::string(leaf);
    }
  }
  return best;
}

constexpr KnownKey kCustomMethod{"", KeyKind::kNotImplemented,
                                 "a custom replica or bootstrap method; pghalo only has "
                                 "initdb and basebackup for now"};
constexpr KnownKey kLocalOnlyInDcs{"", KeyKind::kIgnoredHere,
                                   "Patroni ignores it in the dynamic configuration; set it in "
                                   "the local postgresql section"};
constexpr KnownKey kLocalOnlyForNow{"", KeyKind::kNotImplemented,
                                    "pghalo reads it only from the local postgresql section"};

class KeyChecker {
 public:
  KeyChecker(const Node& root, std::vector<Diagnostic>* diagnostics)
      : root_(root), diagnostics_(diagnostics) {}

  void walk(const Node& map, const std::string& pattern_prefix, const std::string& path_prefix) {
    for (const auto& entry : map.entries) {
      std::string pattern = pattern_prefix + entry.key;
      const KnownKey* known = find_known_key(pattern);
      if (known == nullptr) {
        pattern = pattern_prefix + "*";
        known = find_known_key(pattern);
      }
      if (known == nullptr) known = special_case(pattern_prefix, entry);
      std::string path = path_prefix + entry.key;
      if (known == nullptr) {
        report_unknown(pattern_prefix, entry, path);
        continue;
      }
      visit(*known, pattern, path, entry);
    }
  }

 private:
  void visit(const KnownKey& known, const std::string& pattern, const std::string& path,
             const Entry& entry) {
    using Severity = Diagnostic::Severity;
    switch (known.kind) {
      case KeyKind::kSection:
        if (entry.value.is_map()) walk(entry.value, pattern + ".", path + ".");
        break;
      case KeyKind::kNotImplemented:
        diagnostics_->push_back(
            make_diagnostic(Severity::kWarning, entry.key_origin, path,
                            "pghalo does not implement this Patroni setting yet (" +
                                std::string(known.note) + "); it is accepted and ignored"));
        break;
      case KeyKind::kIgnoredHere:
        diagnostics_->push_back(make_diagnostic(Severity::kWarning, entry.key_origin, path,
                                                "ignored: " + std::string(known.note)));
        break;
      default:
        break;
    }
  }

  // Keys whose validity depends on other keys of the document.
  const KnownKey* special_case(const std::string& prefix, const Entry& entry) const {
    if (prefix == "bootstrap.dcs.postgresql.") {
      if (find_known_key("postgresql." + entry.key) == nullptr) return nullptr;
      return is_local_only_postgresql_key(entry.key) ? &kLocalOnlyInDcs : &kLocalOnlyForNow;
    }
    if ((prefix == "postgresql." || prefix == "bootstrap.") && entry.value.is_map() &&
        (entry.value.find("command") != nullptr || names_a_method(prefix, entry.key))) {
      return &kCustomMethod;
    }
    return nullptr;
  }

  bool names_a_method(const std::string& prefix, const std::string& key) const {
    if (prefix == "bootstrap.") {
      const Entry* method = find_path(root_, "bootstrap.method");
      return method != nullptr && method->value.is_scalar() && method->value.text == key;
    }
    for (const char* list_key :
         {"postgresql.create_replica_methods", "postgresql.create_replica_method"}) {
      const Entry* methods = find_path(root_, list_key);
      if (methods == nullptr) continue;
      for (const auto& item : methods->value.items) {
        if (item.is_scalar() && item.text == key) return true;
      }
      if (methods->value.is_scalar() && methods->value.text == key) return true;
    }
    return false;
  }

  void report_unknown(const std::string& prefix, const Entry& entry, const std::string& path) {
    std::string message = "unknown key: Patroni 3.0.2 has no such setting";
    std::string close = suggestion(canonical_pattern(prefix), entry.key);
    if (!close.empty()) message += "; did you mean '" + close + "'?";
    diagnostics_->push_back(
        make_diagnostic(Diagnostic::Severity::kError, entry.key_origin, path, message));
  }

  const Node& root_;
  std::vector<Diagnostic>* diagnostics_;
};

}  // namespace

void check_keys(const Node& root, std::vector<Diagnostic>* diagnostics) {
  KeyChecker(root, diagnostics).walk(root, "", "");
}

}  // namespace pghalo::config::internal
