#include "ctl/yaml_text.h"

#include <regex>
#include <vector>

// The config module's YAML reader types scalars exactly as Patroni's loader does; patronictl's
// `-s` values and --apply files must be typed the same way, so the ctl reuses it rather than
// keeping a second copy of PyYAML's rules.
#include "config/scalars.h"
#include "config/tree.h"

namespace pghalo::ctl {
namespace {

using Lines = std::vector<std::string>;

bool is_timestamp(const std::string& text) {
  // PyYAML's implicit timestamp: a date, optionally with a time and zone.
  static const std::regex kTimestamp(
      R"(^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|[ \t]+)?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?)?)"
      R"(([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?$)");
  return text.size() >= 8 && text.size() <= 64 && std::regex_match(text, kTimestamp);
}

bool needs_double_quotes(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

bool plain_allowed(const std::string& text, bool flow) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  if (text.rfind("---", 0) == 0 || text.rfind("...", 0) == 0) return false;
  if (text == "=" || text == "<<") return false;
  if (!config::internal::resolve_plain_scalar(text).is_string()) return false;
  if (is_timestamp(text)) return false;
  static const std::string kLeading = "#,[]{}&*!|>'\"%@`";
  if (kLeading.find(text.front()) != std::string::npos) return false;
  if ((text.front() == '-' || text.front() == '?' || text.front() == ':') &&
      (text.size() == 1 || text[1] == ' '))
    return false;
  if (text.find(": ") != std::string::npos || text.find(" #") != std::string::npos) return false;
  if (text.back() == ':') return false;
  if (flow && text.find_first_of(",?[]{}") != std::string::npos) return false;
  return true;
}

std::string double_quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string single_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string scalar_text(const std::string& text, bool flow) {
  if (needs_double_quotes(text)) return double_quoted(text);
  return plain_allowed(text, flow) ? text : single_quoted(text);
}

std::string scalar(const nlohmann::json& value, bool flow) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_string()) return scalar_text(value.get<std::string>(), flow);
  if (value.is_number_float()) {
    std::string text = value.dump();
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  }
  return value.dump();
}

bool is_inline(const nlohmann::json& value) {
  return !value.is_structured() || value.empty();
}

std::string flow(const nlohmann::json& value) {
  if (value.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, item] : value.items()) {  // nlohmann::json keeps keys sorted
      if (!first) out += ", ";
      first = false;
      out += scalar_text(key, true) + ": " + flow(item);
    }
    return out + "}";
  }
  if (value.is_array()) {
    std::string out = "[";
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += ", ";
      first = false;
      out += flow(item);
    }
    return out + "]";
  }
  return scalar(value, true);
}

Lines block(const nlohmann::json& value);

void append_indented(Lines& out, const Lines& lines, const std::string& first_prefix,
                     const std::string& prefix) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out.push_back((i == 0 ? first_prefix : prefix) + lines[i]);
  }
}

Lines block_map(const nlohmann::json& value) {
  Lines out;
  for (const auto& [key, item] : value.items()) {
    std::string head = scalar_text(key, false) + ":";
    if (is_inline(item)) {
      out.push_back(head + " " + flow(item));
    } else {
      out.push_back(head);
      // PyYAML indents a nested map by two and a list not at all ("indentless" sequences).
      append_indented(out, block(item), item.is_object() ? "  " : "", item.is_object() ? "  " : "");
    }
  }
  return out;
}

Lines block_list(const nlohmann::json& value) {
  Lines out;
  for (const auto& item : value) {
    if (is_inline(item)) {
      out.push_back("- " + flow(item));
    } else {
      append_indented(out, block(item), "- ", "  ");
    }
  }
  return out;
}

Lines block(const nlohmann::json& value) {
  if (is_inline(value)) return {flow(value)};
  return value.is_object() ? block_map(value) : block_list(value);
}

}  // namespace

std::string yaml_scalar(const std::string& text) { return scalar_text(text, false); }

std::string dump_yaml(const nlohmann::json& value) {
  std::string out;
  for (const auto& line : block(value)) out += line + "\n";
  // PyYAML ends a lone scalar document with an explicit end marker.
  if (!value.is_structured()) out += "...\n";
  return out;
}

std::string dump_yaml_flow(const nlohmann::json& value) { return flow(value); }

Result<nlohmann::json> parse_yaml(const std::string& text, const std::string& source) {
  std::vector<config::Diagnostic> diagnostics;
  auto node = config::internal::parse_yaml_value(text, source, &diagnostics);
  if (!node) {
    std::string message = diagnostics.empty() ? source + ": cannot parse YAML"
                                               : diagnostics.front().to_string();
    return make_error(ErrorCode::kInvalidArgument, message);
  }
  return config::internal::to_json(*node);
}

}  // namespace pghalo::ctl
