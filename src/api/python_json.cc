#include "api/python_json.h"

namespace pghalo::api {
namespace {

template <typename Json>
void append(std::string& out, const Json& value) {
  if (value.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += Json(it.key()).dump(-1, ' ', true, Json::error_handler_t::replace);
      out += ": ";
      append(out, it.value());
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += ", ";
      first = false;
      append(out, item);
    }
    out += ']';
  } else {
    out += value.dump(-1, ' ', true, Json::error_handler_t::replace);
  }
}

}  // namespace

void append_python_json(std::string& out, const nlohmann::ordered_json& value) {
  append(out, value);
}

void append_python_json(std::string& out, const nlohmann::json& value) { append(out, value); }

}  // namespace pghalo::api
