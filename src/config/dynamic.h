// Internal to the config module: typing of the dynamic configuration, shared by
// parse_dynamic_config() (the stored `/config`, which cannot be refused) and the local loader
// (bootstrap.dcs in a file, which can). Not here: where in a file a problem is (the caller maps
// keys back to lines). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "config/config.h"

namespace pghalo::config::internal {

enum class Strictness {
  kStored,  // `/config` from etcd: bad values are warnings and fall back to defaults
  kFile,    // bootstrap.dcs in a file: bad values are errors, so the file is refused
};

// As parse_dynamic_config(); in kFile mode type and range problems are errors. The timing rule
// is a warning (and an adjustment) in both modes, except ttl below loop_wait in a file.
DynamicConfig parse_dynamic(const nlohmann::json& object, Strictness strictness,
                            std::vector<Diagnostic>* diagnostics);

}  // namespace pghalo::config::internal
