// Internal to the config module: the step shared by parse_local_config() and
// load_local_config(): merge parsed documents (in order, later wins) and the PATRONI_*
// environment, then build and check the Config. Not here: reading files (load.cc). Pure;
// thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/tree.h"

namespace pghalo::config::internal {

// `diagnostics` holds what parsing the documents already found; it is extended and returned.
LoadResult build_from_documents(std::vector<Node> documents, std::string source,
                                const std::map<std::string, std::string>& environment,
                                const HostFacts& host, std::vector<Diagnostic> diagnostics);

}  // namespace pghalo::config::internal
