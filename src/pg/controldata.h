// Parsing of `pg_controldata` output (run with LC_ALL=C) into model::ControlData. The control
// file is how pghalo learns the state of a stopped server: its timeline, where it stopped,
// whether it shut down cleanly and whether pg_rewind can work on it.
//
// Not here: running the binary (LocalPostgres does, through the ProcessRunner). Pure; thread-safe.
#pragma once

#include <string_view>

#include "common/result.h"
#include "model/postgres.h"

namespace pghalo::pg {

// Every "name: value" line lands in ControlData::raw; the typed fields are filled from it.
// Errors (kInvalidArgument) name the missing or malformed field, e.g. output of another locale
// or a truncated file.
Result<model::ControlData> parse_controldata(std::string_view output);

}  // namespace pghalo::pg
