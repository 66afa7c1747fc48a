// Which PostgreSQL binaries to run. The configured postgresql.bin_dir wins when it has pg_ctl;
// otherwise the newest /usr/lib/postgresql/<major>/bin that does, with a warning for the log
// (the seed configuration names PostgreSQL 16 paths while Debian 12 ships 15).
//
// Not here: logging (the caller logs the warning). choose_bin_dir is pure; resolve_bin_dir
// looks at the file system. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace pghalo::pg {

struct BinDirChoice {
  std::string bin_dir;  // empty: find the programs in PATH
  std::optional<std::string> warning;
};

// `installed` are candidate directories such as "/usr/lib/postgresql/15/bin" in any order;
// `has_pg_ctl(dir)` says whether dir/pg_ctl is executable ("" = look in PATH).
Result<BinDirChoice> choose_bin_dir(const std::string& configured,
                                    const std::vector<std::string>& installed,
                                    const std::function<bool(const std::string&)>& has_pg_ctl);

// choose_bin_dir over /usr/lib/postgresql/*/bin and the real file system.
Result<BinDirChoice> resolve_bin_dir(const std::string& configured);

// bin_dir + "/" + program, or the bare program name for PATH lookup.
std::string program_path(const std::string& bin_dir, const std::string& program);

}  // namespace pghalo::pg
