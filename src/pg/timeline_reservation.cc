#include "pg/timeline_reservation.h"

#include <cstdio>
#include <filesystem>

#include "pg/data_dir.h"

namespace pghalo::pg {

std::string timeline_history_file_name(std::int64_t timeline) {
  char name[32];
  std::snprintf(name, sizeof name, "%08X.history", static_cast<unsigned>(timeline));
  return name;
}

std::string placeholder_history_text(std::int64_t timeline) {
  return "# pghalo: placeholder for timeline " + std::to_string(timeline) +
         ", which a member that has since lost its data directory used.\n"
         "# It names no parent and no switch point; it exists only so that promoting this\n"
         "# server picks a timeline above every number the cluster already wrote on.\n";
}

Result<std::vector<std::string>> reserve_timelines(const std::string& wal_dir, std::int64_t current,
                                                   std::int64_t above) {
  std::vector<std::string> written;
  for (std::int64_t tl = std::max<std::int64_t>(current, 0) + 1; tl <= above; ++tl) {
    std::string path = wal_dir + "/" + timeline_history_file_name(tl);
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) continue;  // a real history, or reserved before
    Status status = write_file_atomically(path, placeholder_history_text(tl), 0600);
    if (!status.ok()) {
      release_timelines(written);
      return status.error();
    }
    written.push_back(path);
  }
  return written;
}

void release_timelines(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
}

}  // namespace pghalo::pg
