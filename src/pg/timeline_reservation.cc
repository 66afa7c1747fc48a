#include "pg/timeline_reservation.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <filesystem>
#include <fstream>
#include <sstream>

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

namespace {

// The timeline a history file's name gives, or 0 for any other name.
std::int64_t history_file_timeline(const std::string& name) {
  if (name.size() != 16 || name.substr(8) != ".history") return 0;
  std::int64_t timeline = 0;
  for (char c : name.substr(0, 8)) {
    int digit = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (digit < 0) return 0;
    timeline = timeline * 16 + digit;
  }
  return timeline;
}

}  // namespace

std::vector<std::string> remove_leftover_placeholders(const std::string& wal_dir) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::int64_t, fs::path>> placeholders;
  std::int64_t newest_real = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(wal_dir, ec)) {
    std::int64_t timeline = history_file_timeline(entry.path().filename().string());
    if (timeline <= 0 || !entry.is_regular_file(ec)) continue;
    std::string expected = placeholder_history_text(timeline);
    bool placeholder = false;
    if (entry.file_size(ec) == expected.size()) {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      placeholder = text.str() == expected;
    }
    if (placeholder) {
      placeholders.emplace_back(timeline, entry.path());
    } else {
      newest_real = std::max(newest_real, timeline);
    }
  }
  std::vector<std::string> removed;
  for (const auto& [timeline, path] : placeholders) {
    if (timeline > newest_real && fs::remove(path, ec)) removed.push_back(path.string());
  }
  return removed;
}

}  // namespace pghalo::pg
