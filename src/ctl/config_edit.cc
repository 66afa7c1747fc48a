#include "ctl/config_edit.h"

#include "common/strings.h"
#include "ctl/output.h"
#include "ctl/yaml_text.h"

namespace pghalo::ctl {
namespace {

void set_path(nlohmann::json& config, std::vector<std::string> path, const nlohmann::json& value,
              const std::vector<std::string>& prefix) {
  // GUCs are not nested but may contain dots: below postgresql.parameters the rest is one key.
  if (prefix == std::vector<std::string>{"postgresql", "parameters"} && path.size() > 1) {
    path = {join(path, ".")};
  }
  const std::string& key = path.front();
  if (path.size() == 1) {
    if (value.is_null()) {
      config.erase(key);
    } else {
      config[key] = value;
    }
    return;
  }
  if (!config.contains(key) || !config[key].is_object()) config[key] = nlohmann::json::object();
  std::vector<std::string> below = prefix;
  below.push_back(key);
  set_path(config[key], {path.begin() + 1, path.end()}, value, below);
  if (config[key].empty()) config.erase(key);
}

// Python's str() of a scalar, for patch_config's "changed?" test ("10" and 10 are the same).
std::string python_str(const nlohmann::json& value) {
  if (value.is_null()) return "None";
  return cell_text(value, false);
}

}  // namespace

Result<nlohmann::json> apply_set_pairs(nlohmann::json config,
                                       const std::vector<std::string>& pairs) {
  if (!config.is_object()) config = nlohmann::json::object();
  for (const auto& pair : pairs) {
    auto eq = pair.find('=');
    if (pair.empty() || eq == std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument,
                        "Invalid parameter setting '" + pair + "': use key.path=value");
    }
    std::string key = std::string(trim(pair.substr(0, eq)));
    std::vector<std::string> path = split(key, '.', false);
    if (path.empty()) path.emplace_back();
    for (const auto& part : path) {
      if (part.empty()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "Invalid parameter setting '" + pair + "': empty key in '" + key + "'");
      }
    }
    auto value = parse_yaml(pair.substr(eq + 1), "value of " + key);
    if (!value.ok()) return value.error();
    set_path(config, path, *value, {});
  }
  return config;
}

bool patch_config(nlohmann::json& config, const nlohmann::json& overlay) {
  bool changed = false;
  for (const auto& [name, value] : overlay.items()) {
    if (value.is_null()) {
      if (config.contains(name)) {
        changed = changed || !config[name].is_null();
        config.erase(name);
      }
    } else if (config.contains(name)) {
      nlohmann::json& current = config[name];
      if (value.is_object() && current.is_object()) {
        changed = patch_config(current, value) || changed;
      } else if (value.is_object() || current.is_structured() || value.is_array() ||
                 python_str(current) != python_str(value)) {
        if (current != value) changed = true;
        current = value;
      }
    } else {
      config[name] = value;
      changed = true;
    }
  }
  return changed;
}

Result<nlohmann::json> parse_config_document(const std::string& text, const std::string& source) {
  std::string name = source == "-" ? "stdin" : source;
  auto document = parse_yaml(text, name);
  if (!document.ok()) return document.error();
  if (document->is_null()) return nlohmann::json::object();
  if (!document->is_object()) {
    return make_error(ErrorCode::kInvalidArgument,
                      name + ": the configuration must be a YAML map of keys, like show-config "
                             "prints it");
  }
  return *document;
}

}  // namespace pghalo::ctl
