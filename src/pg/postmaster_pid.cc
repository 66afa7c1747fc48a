#include "pg/postmaster_pid.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "common/strings.h"

namespace pghalo::pg {
namespace {

std::string read_small_file(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

bool same_directory(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  auto ca = std::filesystem::weakly_canonical(a, ec1);
  auto cb = std::filesystem::weakly_canonical(b, ec2);
  if (ec1 || ec2) return a == b;
  return ca == cb;
}

// State letter from /proc/<pid>/stat; the command name may contain spaces and parentheses, so
// take the character after the last ')'.
char process_state(int pid) {
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 1024);
  auto close = stat.rfind(')');
  if (close == std::string::npos || stat.size() < close + 3) return '?';
  return stat[close + 2];
}

bool runs_postgres_binary(int pid) {
  std::string cmdline = read_small_file("/proc/" + std::to_string(pid) + "/cmdline", 4096);
  std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  std::string base = std::filesystem::path(argv0).filename().string();
  // The postmaster may also have retitled itself ("postgres: ..." is a child's title).
  return base == "postgres" || base == "postmaster";
}

}  // namespace

Result<PostmasterPidFile> parse_postmaster_pid(std::string_view text) {
  auto lines = split(text, '\n', /*skip_empty=*/false);
  if (lines.empty() || lines[0].empty()) {
    return make_error(ErrorCode::kInvalidArgument, "postmaster.pid is empty");
  }
  auto pid = parse_int64(lines[0]);
  if (!pid || *pid == 0 || *pid > 0x7fffffff || *pid < -0x7fffffff) {
    return make_error(ErrorCode::kInvalidArgument, "postmaster.pid: first line is not a pid: \"" +
                                                       lines[0].substr(0, 40) + "\"");
  }
  PostmasterPidFile file;
  file.single_user = *pid < 0;
  file.pid = static_cast<int>(*pid < 0 ? -*pid : *pid);
  auto line = [&](std::size_t i) { return i < lines.size() ? lines[i] : std::string(); };
  file.data_dir = line(1);
  if (auto start = parse_int64(line(2))) file.start_time = *start;
  if (auto port = parse_int64(line(3)); port && *port > 0 && *port < 65536) {
    file.port = static_cast<int>(*port);
  }
  file.socket_dir = line(4);
  file.listen_address = line(5);
  file.status = line(7);
  return file;
}

std::vector<std::pair<std::string, std::string>> parse_postmaster_opts(std::string_view text) {
  // Arguments are double-quoted by the postmaster: `/path/postgres "-D" "/data" "--port=5432"`.
  std::vector<std::string> args;
  std::string current;
  bool quoted = false, any = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\n' || c == '\t')) {
      if (any) args.push_back(current);
      current.clear();
      any = false;
    } else {
      current += c;
      any = true;
    }
  }
  if (any) args.push_back(current);

  std::vector<std::pair<std::string, std::string>> options;
  auto add = [&options](const std::string& assignment) {
    auto eq = assignment.find('=');
    if (eq != std::string::npos && eq > 0) {
      options.emplace_back(assignment.substr(0, eq), assignment.substr(eq + 1));
    }
  };
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "-c" && i + 1 < args.size()) {
      add(args[++i]);
    } else if (args[i].rfind("--", 0) == 0) {
      add(args[i].substr(2));
    }
  }
  return options;
}

bool is_postmaster_of(int pid, const std::string& data_dir) {
  if (pid <= 0 || pid == ::getpid()) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  char state = process_state(pid);
  if (state == '?' || state == 'Z' || state == 'X') return false;
  if (!runs_postgres_binary(pid)) return false;
  std::error_code ec;
  auto cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (ec) return true;  // not ours to inspect: the binary name is the best evidence left
  return same_directory(cwd.string(), data_dir);
}

std::optional<int> running_postmaster_pid(const std::string& data_dir) {
  std::string text = read_small_file(data_dir + "/postmaster.pid", 4096);
  auto file = parse_postmaster_pid(text);
  if (!file.ok()) return std::nullopt;
  if (!is_postmaster_of(file->pid, data_dir)) return std::nullopt;
  return file->pid;
}

}  // namespace pghalo::pg
