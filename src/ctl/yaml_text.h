// YAML as patronictl shows and reads it. Output follows PyYAML's safe_dump with the options
// patronictl uses (keys sorted, block style, strings quoted only when a plain scalar would read
// back as another type), so `show-config`, the `edit-config` diff and `-f yaml` print what
// patronictl prints. Input is typed as PyYAML's safe_load types it (`on` is true, `8` an int).
//
// Not a general YAML library: no anchors on output, no custom tags. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace pghalo::ctl {

// Block style, a newline at the end ("{}\n" for an empty map, like PyYAML).
std::string dump_yaml(const nlohmann::json& value);

// Flow style on one line ("{nofailover: true, zone: a}"), as patronictl writes tags in tsv.
std::string dump_yaml_flow(const nlohmann::json& value);

// One YAML document (a file given to --apply, or the value of `-s key=value`). `source` names it
// in errors ("config.yaml:3:7: YAML syntax error: ..."). Empty text is null.
Result<nlohmann::json> parse_yaml(const std::string& text, const std::string& source);

// A scalar string as PyYAML would write it: plain when it reads back as the same string, else
// single-quoted (or double-quoted when it holds control characters or line breaks).
std::string yaml_scalar(const std::string& text);

}  // namespace pghalo::ctl
