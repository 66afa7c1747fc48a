// Internal to the config module: the PATRONI_* environment variables (spec 4.4) turned into a
// configuration tree that is merged over the file, with each value remembering its variable.
// Not here: reading or clearing the process environment (load.cc does). Pure (the variables
// come in as a map); thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/tree.h"

namespace pghalo::config::internal {

// Follows Patroni 3.0.2's rules: fixed names per section, the generic PATRONI_<DCS>_<KEY> rule,
// PATRONI_<user>_PASSWORD/_OPTIONS for bootstrap users. Lists accept "a,b" or a YAML list,
// maps "k: v, k2: v2" or a YAML flow map. Empty values are ignored, as in Patroni.
Node environment_tree(const std::map<std::string, std::string>& environment,
                      std::vector<Diagnostic>* diagnostics);

}  // namespace pghalo::config::internal
