#include "config/reader.h"

#include "common/strings.h"
#include "config/scalars.h"

namespace pghalo::config::internal {
namespace {

// How a wrong value is quoted in a message: scalars as written, containers by kind.
std::string describe(const Node& value) {
  if (value.is_scalar()) return quote_value(value.text);
  return std::string(kind_name(value));
}

}  // namespace

std::optional<std::int64_t> node_to_int(const Node& node) {
  if (!node.is_scalar()) return std::nullopt;
  if (node.plain) {
    nlohmann::json typed = resolve_plain_scalar(node.text);
    if (typed.is_number_integer()) return typed.get<std::int64_t>();
    if (typed.is_boolean() || typed.is_number_float()) return std::nullopt;
  }
  return parse_int_text(node.text);
}

std::optional<bool> node_to_bool(const Node& node) {
  if (!node.is_scalar()) return std::nullopt;
  return parse_bool_text(trim(node.text));
}

std::optional<std::string> node_to_guc(const Node& node) {
  if (!node.is_scalar()) return std::nullopt;
  if (!node.plain) return node.text;
  return json_to_guc(resolve_plain_scalar(node.text));
}

Section::Section(const Node* map, std::string path, Origin origin,
                 std::vector<Diagnostic>* diagnostics)
    : map_(map), path_(std::move(path)), origin_(std::move(origin)), diagnostics_(diagnostics) {}

std::string Section::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const Entry* Section::entry(std::string_view key) const {
  return map_ == nullptr ? nullptr : map_->find(key);
}

Section Section::section(std::string_view key) const {
  const Entry* e = entry(key);
  if (e == nullptr || e->value.is_null()) {
    Origin where = e != nullptr ? e->key_origin : origin_;
    return Section(nullptr, path_of(key), where, diagnostics_);
  }
  if (!e->value.is_map()) {
    wrong_type(key, e->value, "a map of settings");
    return Section(nullptr, path_of(key), e->key_origin, diagnostics_);
  }
  return Section(&e->value, path_of(key), e->key_origin, diagnostics_);
}

const Node* Section::scalar_or_error(std::string_view key, std::string_view expected) const {
  const Entry* e = entry(key);
  if (e == nullptr || e->value.is_null()) return nullptr;
  if (!e->value.is_scalar()) {
    wrong_type(key, e->value, expected);
    return nullptr;
  }
  return &e->value;
}

bool Section::read(std::string_view key, std::string* out) const {
  const Node* value = scalar_or_error(key, "a string");
  if (value == nullptr) return false;
  *out = value->text;
  return true;
}

bool Section::read(std::string_view key, std::optional<std::string>* out) const {
  std::string text;
  if (!read(key, &text)) return false;
  *out = std::move(text);
  return true;
}

bool Section::read(std::string_view key, bool* out) const {
  const Node* value = scalar_or_error(key, "a boolean (true/false, on/off, yes/no)");
  if (value == nullptr) return false;
  auto parsed = node_to_bool(*value);
  if (!parsed) {
    wrong_type(key, *value, "a boolean (true/false, on/off, yes/no)");
    return false;
  }
  *out = *parsed;
  return true;
}

bool Section::read(std::string_view key, int* out, std::int64_t min, std::int64_t max) const {
  const Node* value = scalar_or_error(key, "an integer");
  if (value == nullptr) return false;
  auto parsed = node_to_int(*value);
  if (!parsed) {
    wrong_type(key, *value, "an integer");
    return false;
  }
  if (*parsed < min || *parsed > max) {
    std::string range =
        *parsed < min ? "at least " + std::to_string(min) : "at most " + std::to_string(max);
    report_at(Severity::kError, value->origin, path_of(key),
              "must be " + range + ", got " + std::to_string(*parsed));
    return false;
  }
  *out = static_cast<int>(*parsed);
  return true;
}

bool Section::read(std::string_view key, std::vector<std::string>* out,
                   bool allow_comma_string) const {
  const Entry* e = entry(key);
  if (e == nullptr || e->value.is_null()) return false;
  std::string_view expected =
      allow_comma_string ? "a list or a comma-separated string" : "a list of strings";
  if (e->value.is_scalar() && allow_comma_string) {
    *out = split(e->value.text, ',');
    return true;
  }
  if (!e->value.is_sequence()) {
    wrong_type(key, e->value, expected);
    return false;
  }
  std::vector<std::string> items;
  for (const auto& item : e->value.items) {
    if (!item.is_scalar()) {
      report_at(Severity::kError, item.origin, path_of(key),
                "each entry must be a string, got " + std::string(kind_name(item)));
      return false;
    }
    items.push_back(item.text);
  }
  *out = std::move(items);
  return true;
}

bool Section::read(std::string_view key, std::map<std::string, std::string>* out) const {
  const Entry* e = entry(key);
  if (e == nullptr || e->value.is_null()) return false;
  if (!e->value.is_map()) {
    wrong_type(key, e->value, "a map of names to values");
    return false;
  }
  bool ok = true;
  std::map<std::string, std::string> values;
  for (const auto& item : e->value.entries) {
    auto text = node_to_guc(item.value);
    if (!text) {
      std::string what = item.value.is_null()
                             ? "has no value"
                             : "must be a single value, not " + std::string(kind_name(item.value));
      report_at(Severity::kError, item.key_origin, path_of(key) + "." + item.key, what);
      ok = false;
      continue;
    }
    values[item.key] = *text;
  }
  if (ok) *out = std::move(values);
  return ok;
}

void Section::report_missing(std::string_view key, const std::string& detail) const {
  std::string hint = "did you mean '" + std::string(key) + "'";
  std::string parent = path_.empty() ? "" : path_ + ".";
  for (const auto& d : *diagnostics_) {
    bool sibling =
        d.key.rfind(parent, 0) == 0 && d.key.find('.', parent.size()) == std::string::npos;
    if (sibling && d.message.find(hint) != std::string::npos) return;
  }
  report_at(Severity::kError, origin_, path_of(key), "is required but missing" + detail);
}

bool Section::require(std::string_view key, std::string* out) const {
  const Entry* e = entry(key);
  if (e == nullptr) {
    report_missing(key, "");
    return false;
  }
  if (e->value.is_null()) {
    report_at(Severity::kError, e->key_origin, path_of(key), "is required but empty");
    return false;
  }
  if (!read(key, out)) return false;
  if (trim(*out).empty()) {
    report_at(Severity::kError, e->value.origin, path_of(key), "must not be empty");
    return false;
  }
  return true;
}

void Section::report(Severity severity, std::string_view key, std::string message) const {
  const Entry* e = entry(key);
  report_at(severity, e != nullptr ? e->value.origin : origin_, key.empty() ? path_ : path_of(key),
            std::move(message));
}

void Section::report_at(Severity severity, const Origin& origin, std::string key,
                        std::string message) const {
  diagnostics_->push_back(make_diagnostic(severity, origin, std::move(key), std::move(message)));
}

void Section::wrong_type(std::string_view key, const Node& value, std::string_view expected) const {
  report_at(Severity::kError, value.origin, path_of(key),
            "expected " + std::string(expected) + ", got " + describe(value));
}

Section root_section(const Node& root, std::vector<Diagnostic>* diagnostics) {
  return Section(&root, "", root.origin, diagnostics);
}

}  // namespace pghalo::config::internal
