#include "pg/bin_dir.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "common/strings.h"

namespace pghalo::pg {
namespace {

// "/usr/lib/postgresql/9.6/bin" -> {9, 6}; unknown shapes sort first.
std::vector<long long> version_key(const std::string& dir) {
  std::string major = std::filesystem::path(dir).parent_path().filename().string();
  std::vector<long long> key;
  for (const auto& part : split(major, '.')) key.push_back(parse_int64(part).value_or(-1));
  return key;
}

bool executable_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "", ':')) {
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace

Result<BinDirChoice> choose_bin_dir(const std::string& configured,
                                    const std::vector<std::string>& installed,
                                    const std::function<bool(const std::string&)>& has_pg_ctl) {
  if (has_pg_ctl(configured)) return BinDirChoice{configured, std::nullopt};
  std::vector<std::string> candidates = installed;
  std::sort(candidates.begin(), candidates.end(), [](const std::string& a, const std::string& b) {
    return version_key(a) > version_key(b);
  });
  std::string wanted = configured.empty() ? "PATH" : configured;
  for (const auto& dir : candidates) {
    if (dir != configured && has_pg_ctl(dir)) {
      return BinDirChoice{
          dir, "postgresql.bin_dir " + wanted + " has no pg_ctl; using " + dir + " instead"};
    }
  }
  return make_error(ErrorCode::kNotFound,
                    "no PostgreSQL binaries: " + wanted +
                        " has no pg_ctl and no /usr/lib/postgresql/*/bin has one either");
}

Result<BinDirChoice> resolve_bin_dir(const std::string& configured) {
  std::vector<std::string> installed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    installed.push_back((entry.path() / "bin").string());
  }
  return choose_bin_dir(configured, installed, [](const std::string& dir) {
    if (dir.empty()) return executable_in_path("pg_ctl");
    return ::access((dir + "/pg_ctl").c_str(), X_OK) == 0;
  });
}

std::string program_path(const std::string& bin_dir, const std::string& program) {
  if (bin_dir.empty()) return program;
  return bin_dir.back() == '/' ? bin_dir + program : bin_dir + "/" + program;
}

}  // namespace pghalo::pg
