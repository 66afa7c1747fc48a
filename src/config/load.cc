// The imperative edge of the config module: files, directories, the process environment and
// the machine (HostFacts::current), plus the --validate-config command and diagnostic text.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "config/config.h"
#include "config/local.h"

extern char** environ;  // NOLINT: POSIX

namespace pghalo::config {
namespace {

namespace fs = std::filesystem;
using internal::Node;
using internal::Origin;
using Severity = Diagnostic::Severity;

constexpr std::uintmax_t kMaxFileBytes = 4ULL * 1024 * 1024;
constexpr char kConfigurationVariable[] = "PATRONI_CONFIGURATION";

Diagnostic file_error(const std::string& path, std::string message) {
  return internal::make_diagnostic(Severity::kError, Origin{path, 0, 0, {}}, "",
                                   std::move(message));
}

// Reads a regular file of reasonable size; anything else (a FIFO, /dev/zero) would block or
// never end, so it is refused before opening.
std::optional<std::string> read_text_file(const std::string& path,
                                          std::vector<Diagnostic>* diagnostics) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    diagnostics->push_back(file_error(path, "no such file or directory"));
    return std::nullopt;
  }
  if (ec || !fs::is_regular_file(status)) {
    diagnostics->push_back(
        file_error(path, ec ? "cannot read the file: " + ec.message() : "is not a regular file"));
    return std::nullopt;
  }
  if (fs::file_size(path, ec) > kMaxFileBytes) {
    diagnostics->push_back(file_error(path, "is larger than 4 MiB; not a configuration file"));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    diagnostics->push_back(
        file_error(path, std::string("cannot read the file: ") + std::strerror(errno)));
    return std::nullopt;
  }
  return text.str();
}

// The *.yml and *.yaml regular files of a directory, sorted by name (Patroni's order).
std::vector<std::string> config_files_in(const std::string& dir,
                                         std::vector<Diagnostic>* diagnostics) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    std::error_code status_ec;
    if (yaml && fs::is_regular_file(it->path(), status_ec)) names.push_back(name);
  }
  if (ec) diagnostics->push_back(file_error(dir, "cannot list the directory: " + ec.message()));
  std::sort(names.begin(), names.end());
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const auto& name : names) paths.push_back((fs::path(dir) / name).string());
  return paths;
}

LoadResult load_files(const std::vector<std::string>& paths, const std::string& source,
                      const std::map<std::string, std::string>& environment, const HostFacts& host,
                      std::vector<Diagnostic> diagnostics) {
  std::vector<Node> documents;
  bool failed = false;
  for (const auto& path : paths) {
    std::optional<std::string> text = read_text_file(path, &diagnostics);
    std::optional<Node> document =
        text ? internal::parse_yaml(*text, path, &diagnostics) : std::nullopt;
    if (document) documents.push_back(std::move(*document));
    failed = failed || !document;
  }
  if (failed) return LoadResult{std::nullopt, std::move(diagnostics)};
  return internal::build_from_documents(std::move(documents), source, environment, host,
                                        std::move(diagnostics));
}

// Patroni uses PATRONI_CONFIGURATION alone: the other PATRONI_* variables are not merged over
// it. Saying so spares a confusing afternoon.
LoadResult load_from_environment(const std::map<std::string, std::string>& environment,
                                 const HostFacts& host) {
  auto whole = environment.find(kConfigurationVariable);
  if (whole == environment.end() || whole->second.empty()) {
    return internal::build_from_documents({}, "environment", environment, host, {});
  }
  std::vector<std::string> ignored;
  for (const auto& [name, value] : environment) {
    if (name.rfind("PATRONI_", 0) == 0 && name != kConfigurationVariable) ignored.push_back(name);
  }
  LoadResult result = parse_local_config(whole->second, kConfigurationVariable, {}, host);
  if (!ignored.empty()) {
    std::string names;
    for (const auto& name : ignored) names += (names.empty() ? "" : ", ") + name;
    result.diagnostics.push_back(internal::make_diagnostic(
        Severity::kWarning, Origin{}, "",
        "ignored because the configuration comes from PATRONI_CONFIGURATION (as in Patroni): " +
            names));
  }
  return result;
}

std::string count(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::string_view severity_name(Diagnostic::Severity severity) {
  switch (severity) {
    case Severity::kNotice:
      return "notice";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

namespace {
std::string location(const Diagnostic& d) {
  if (d.file.empty()) return "";
  std::string out = d.file;
  if (d.line > 0) out += ":" + std::to_string(d.line);
  if (d.line > 0 && d.column > 0) out += ":" + std::to_string(d.column);
  return out + ": ";
}
}  // namespace

std::string Diagnostic::to_string() const {
  return location(*this) + (key.empty() ? "" : key + ": ") + message;
}

std::string format_diagnostic(const Diagnostic& d) {
  return location(d) + std::string(severity_name(d.severity)) + ": " +
         (d.key.empty() ? "" : d.key + ": ") + d.message;
}

HostFacts HostFacts::current() {
  HostFacts facts;
  struct passwd entry {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    facts.os_user = found->pw_name;
    facts.home_dir = found->pw_dir;
  } else if (const char* user = std::getenv("USER")) {
    facts.os_user = user;
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && found == nullptr) {
    facts.home_dir = home;
  }
  facts.is_directory = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  };
  facts.is_executable_file = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
  };
  return facts;
}

std::map<std::string, std::string> patroni_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t equals = text.find('=');
    if (equals == std::string_view::npos || text.rfind("PATRONI_", 0) != 0) continue;
    out.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return out;
}

void clear_patroni_environment() {
  for (const auto& [name, value] : patroni_environment()) ::unsetenv(name.c_str());
}

LoadResult load_local_config(const std::string& path,
                             const std::map<std::string, std::string>& environment,
                             const HostFacts& host) {
  if (path.empty()) return load_from_environment(environment, host);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<Diagnostic> diagnostics;
    std::vector<std::string> files = config_files_in(path, &diagnostics);
    return load_files(files, path, environment, host, std::move(diagnostics));
  }
  return load_files({path}, path, environment, host, {});
}

LoadResult load_local_config(const std::string& path) {
  return load_local_config(path, patroni_environment(), HostFacts::current());
}

int validate_config_command(const std::string& path, std::ostream& out,
                            const std::map<std::string, std::string>& environment,
                            const HostFacts& host) {
  LoadResult result = load_local_config(path, environment, host);
  std::size_t by_severity[3] = {0, 0, 0};
  for (const auto& d : result.diagnostics) {
    out << format_diagnostic(d) << "\n";
    ++by_severity[static_cast<int>(d.severity)];
  }
  std::string source = path.empty() ? "environment" : path;
  if (result.ok()) {
    out << source << ": valid (" << count(by_severity[1], "warning") << ", "
        << count(by_severity[0], "notice") << ")\n";
    return 0;
  }
  out << source << ": invalid (" << count(by_severity[2], "error") << ", "
      << count(by_severity[1], "warning") << ", " << count(by_severity[0], "notice") << ")\n";
  return 1;
}

int validate_config_command(const std::string& path, std::ostream& out) {
  return validate_config_command(path, out, patroni_environment(), HostFacts::current());
}

}  // namespace pghalo::config
