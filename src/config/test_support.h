// Shared by the config module's tests: a fake machine, the test data directory, and small
// queries over diagnostics. Test-only, not part of the library; thread-safe as values.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace pghalo::config::testing {

// tests/data (set by CMake), so tests find their fixtures wherever the build runs.
inline std::string data_path(const std::string& relative) {
  return std::string(PGHALO_TEST_DATA_DIR) + "/" + relative;
}

// A Debian 12 host: PostgreSQL 15 installed, running as postgres.
inline HostFacts fake_host() {
  HostFacts host;
  host.os_user = "postgres";
  host.home_dir = "/var/lib/postgresql";
  std::set<std::string> dirs = {"/usr/lib/postgresql/15/bin"};
  std::set<std::string> executables = {"/usr/lib/postgresql/15/bin/pg_ctl"};
  host.is_directory = [dirs](const std::string& path) { return dirs.count(path) > 0; };
  host.is_executable_file = [executables](const std::string& path) {
    return executables.count(path) > 0;
  };
  return host;
}

inline LoadResult load(const std::string& relative,
                       const std::map<std::string, std::string>& environment = {}) {
  return load_local_config(data_path(relative), environment, fake_host());
}

inline LoadResult parse(const std::string& yaml,
                        const std::map<std::string, std::string>& environment = {}) {
  return parse_local_config(yaml, "test.yml", environment, fake_host());
}

inline std::vector<Diagnostic> with_severity(const LoadResult& result,
                                             Diagnostic::Severity severity) {
  std::vector<Diagnostic> out;
  for (const auto& d : result.diagnostics) {
    if (d.severity == severity) out.push_back(d);
  }
  return out;
}

inline std::vector<Diagnostic> errors(const LoadResult& result) {
  return with_severity(result, Diagnostic::Severity::kError);
}

inline std::vector<Diagnostic> warnings(const LoadResult& result) {
  return with_severity(result, Diagnostic::Severity::kWarning);
}

// "severity key" for each diagnostic, for compact expectations.
inline std::vector<std::string> summary(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> out;
  for (const auto& d : diagnostics) {
    out.push_back(std::string(severity_name(d.severity)) + " " + d.key);
  }
  return out;
}

inline std::string dump(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += format_diagnostic(d) + "\n";
  return out;
}

// A minimal valid file, to which a test appends one section.
inline std::string minimal_yaml() {
  return R"(scope: demo
name: node1
restapi:
  listen: 0.0.0.0:8008
  connect_address: 198.18.0.1:8008
etcd3:
  hosts: 198.18.0.20:2379
postgresql:
  listen: 0.0.0.0:5432
  connect_address: 198.18.0.1:5432
  data_dir: /var/lib/postgresql/15/main
  authentication:
    superuser: {username: postgres}
    replication: {username: replicator, password: secret}
)";
}

}  // namespace pghalo::config::testing
