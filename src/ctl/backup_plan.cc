#include "ctl/backup_plan.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <regex>

#include "ctl/schedule.h"

namespace pghalo::ctl {

std::string backup_name(WallTime now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "backup_%Y%m%d_%H%M%S", &tm);
  return buffer;
}

std::optional<WallTime> backup_time(const std::string& name) {
  static const std::regex kName(R"(^backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(_\d+)?$)");
  std::smatch m;
  if (!std::regex_match(name, m, kName)) return std::nullopt;
  return local_time(std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4]),
                    std::stoi(m[5]), std::stoi(m[6]));
}

std::vector<std::string> expired_backups(const std::vector<std::string>& names, WallTime now,
                                         Duration retention, const std::string& keep) {
  std::vector<std::pair<WallTime, std::string>> expired;
  for (const auto& name : names) {
    if (name == keep) continue;
    auto at = backup_time(name);
    if (at && now - *at > retention) expired.emplace_back(*at, name);
  }
  std::sort(expired.begin(), expired.end());
  std::vector<std::string> out;
  out.reserve(expired.size());
  for (auto& [at, name] : expired) out.push_back(std::move(name));
  return out;
}

std::vector<std::string> basebackup_argv(const BasebackupSpec& spec) {
  std::string program = spec.bin_dir.empty() ? "pg_basebackup" : spec.bin_dir + "/pg_basebackup";
  std::vector<std::string> argv = {program,
                                   "--host=" + spec.host,
                                   "--port=" + std::to_string(spec.port),
                                   "--username=" + spec.user,
                                   "--no-password",
                                   "--pgdata=" + spec.target,
                                   "--format=tar",
                                   "--gzip",
                                   "--wal-method=stream",
                                   "--checkpoint=" + spec.checkpoint,
                                   "--label=" + spec.label,
                                   "--verbose"};
  if (spec.progress) argv.emplace_back("--progress");
  if (spec.max_rate) argv.push_back("--max-rate=" + *spec.max_rate);
  return argv;
}

std::string find_postgres_bin_dir(const std::string& program) {
  for (int major = 20; major >= 10; --major) {
    std::string dir = "/usr/lib/postgresql/" + std::to_string(major) + "/bin";
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return dir;
  }
  return "";
}

}  // namespace pghalo::ctl
