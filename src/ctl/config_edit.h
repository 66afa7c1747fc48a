// The pure part of `edit-config`: patronictl's ways of changing the dynamic configuration.
//   -s key.path=value  a YAML value at a dotted path (null removes the key; below
//                      postgresql.parameters the rest of the path is one GUC name, dots and
//                      all, e.g. pg_stat_statements.max)
//   -p guc=value       shorthand for -s postgresql.parameters.guc=value
//   --apply FILE       a YAML map merged in as Patroni's patch_config() does (maps merge,
//                      null removes, anything else replaces)
//   --replace FILE     the YAML map replaces the whole configuration
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace pghalo::ctl {

// Applies every `key.path=value` in order. kInvalidArgument for a pair without '=', an empty
// path, or a value that is not valid YAML.
Result<nlohmann::json> apply_set_pairs(nlohmann::json config, const std::vector<std::string>& pairs);

// Patroni's patch_config(): merges `overlay` into `config`; returns whether anything changed.
bool patch_config(nlohmann::json& config, const nlohmann::json& overlay);

// Reads a YAML map for --apply/--replace; `source` names it in errors ("-" is stdin).
Result<nlohmann::json> parse_config_document(const std::string& text, const std::string& source);

}  // namespace pghalo::ctl
