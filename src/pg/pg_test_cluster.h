// Test-only support for the PostgreSQL integration tests: running as the `postgres` OS user,
// private temporary roots under /tmp/pghalo-pg-test-*, free loopback ports in 16100-16199, and
// guards that stop every postmaster a test started (by the pid in its postmaster.pid) and
// remove the directories, even when the test fails.
//
// Not for production code. Not thread-safe: tests drive it from one thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "pg/local_postgres.h"
#include "pg/pg_session.h"

namespace pghalo::pg::testing {

inline constexpr const char* kPgBinDir = "/usr/lib/postgresql/15/bin";

// Checks the binaries and, when running as root, switches this whole process to the postgres
// user (PostgreSQL refuses to run as root). Returns why the tests must be skipped, or "".
// Idempotent.
std::string prepare_process();

// `count` loopback ports in 16100-16199 that nothing listens on right now.
std::vector<int> free_ports(int count);

// Sends `sig` to the postmaster `pid` and to each of its children. Every PostgreSQL child
// makes itself a session leader, so a process-group kill would miss them.
void signal_postmaster_family(int pid, int sig);

// Sends SIGCONT (a test may have stopped them), then SIGQUIT, to the postmaster named in
// data_dir/postmaster.pid and its children; SIGKILL after 5 s. Bounded.
void stop_postmaster_hard(const std::string& data_dir);

// A private directory /tmp/pghalo-pg-test-XXXXXX. Its destructor stops the postmasters of the
// data directories made by node() and removes everything.
class TestRoot {
 public:
  TestRoot();
  ~TestRoot();
  TestRoot(const TestRoot&) = delete;
  TestRoot& operator=(const TestRoot&) = delete;

  const std::string& path() const { return path_; }
  // Settings for a node `name` on `port` with its own socket dir, pgpass and data dir.
  LocalPostgresSettings node(const std::string& name, int port);

 private:
  std::string path_;
  std::vector<std::string> data_dirs_;
};

inline constexpr const char* kSuperuserPassword = "super'secret\\pw";
inline constexpr const char* kReplicationPassword = "secure_replication_password";

// The seed's initdb options (plus whatever `extra` asks for) and our superuser password.
BootstrapSpec bootstrap_spec(std::vector<std::string> extra = {});
// Parameters close to the seed's, sized for a test machine.
std::map<std::string, std::string> test_parameters();
// pg_hba that makes every connection prove its password (scram), over TCP and the socket.
std::vector<std::string> test_pg_hba();
// `node` seen from another member: over TCP, as `user`.
SourceServer source_of(const LocalPostgresSettings& node, const std::string& user,
                       const std::string& password);

// One query as the superuser of `node`; the last result set.
Result<QueryResult> query(const LocalPostgresSettings& node, const std::string& sql);

// Polls `condition` every 100 ms until it holds or `bound` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds bound);

}  // namespace pghalo::pg::testing
