// PATCH /config semantics (spec 3.5): a deep merge where null deletes a key, nested objects
// merge, and anything else replaces. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

namespace pghalo::agent {

void patch_config(nlohmann::json& config, const nlohmann::json& patch);

}  // namespace pghalo::agent
