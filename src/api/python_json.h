// JSON text spaced like Python's json.dumps defaults (", " between items, ": " after keys,
// non-ASCII escaped as \uXXXX), which is what Patroni's REST API sends. Byte-compatible bodies
// keep scripts that compare or grep the text working. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace pghalo::api {

// Appends `value` to `out`; key order is the object's own (use ordered_json to keep Patroni's).
void append_python_json(std::string& out, const nlohmann::ordered_json& value);
void append_python_json(std::string& out, const nlohmann::json& value);

template <typename Json>
std::string python_json(const Json& value) {
  std::string out;
  append_python_json(out, value);
  return out;
}

}  // namespace pghalo::api
