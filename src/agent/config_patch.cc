#include "agent/config_patch.h"

namespace pghalo::agent {

void patch_config(nlohmann::json& config, const nlohmann::json& patch) {
  if (!config.is_object() || !patch.is_object()) return;
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      config.erase(key);
    } else if (value.is_object() && config.contains(key) && config[key].is_object()) {
      patch_config(config[key], value);
    } else {
      config[key] = value;
    }
  }
}

}  // namespace pghalo::agent
