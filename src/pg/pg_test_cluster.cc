#include "pg/pg_test_cluster.h"

#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/strings.h"
#include "pg/postmaster_pid.h"

namespace fs = std::filesystem;

namespace pghalo::pg::testing {
namespace {

bool process_alive(int pid) {
  if (::kill(pid, 0) != 0) return false;
  // A zombie nobody reaps (the postmaster is not our child) counts as gone.
  std::string stat_path = "/proc/" + std::to_string(pid) + "/stat";
  auto text = read_text_file(stat_path, 512);
  if (!text.ok()) return false;
  auto close = text->rfind(')');
  return close == std::string::npos || text->size() < close + 3 || (*text)[close + 2] != 'Z';
}

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string drop_to_postgres_user() {
  passwd* pw = ::getpwnam("postgres");
  if (!pw) return "running as root and there is no postgres OS user to run PostgreSQL as";
  if (::initgroups("postgres", pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 ||
      ::setuid(pw->pw_uid) != 0) {
    return "cannot switch to the postgres OS user";
  }
  ::setenv("HOME", pw->pw_dir, 1);
  ::setenv("USER", "postgres", 1);
  return "";
}

// Parent pid from /proc/<pid>/stat (the field after the state letter).
int parent_of(int pid) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/stat", 1024);
  if (!text.ok()) return -1;
  auto close = text->rfind(')');
  if (close == std::string::npos) return -1;
  auto fields = split(text->substr(close + 2), ' ');
  return fields.size() > 1 ? static_cast<int>(parse_int64(fields[1]).value_or(-1)) : -1;
}

}  // namespace

void signal_postmaster_family(int pid, int sig) {
  ::kill(pid, sig);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    auto child = parse_int64(entry.path().filename().string());
    if (child && parent_of(static_cast<int>(*child)) == pid) ::kill(static_cast<int>(*child), sig);
  }
}

std::string prepare_process() {
  static std::string reason = [] {
    if (::access((std::string(kPgBinDir) + "/pg_ctl").c_str(), X_OK) != 0) {
      return std::string("PostgreSQL 15 binaries are missing in ") + kPgBinDir;
    }
    std::string why = ::geteuid() == 0 ? drop_to_postgres_user() : "";
    // The directory we were started in may not be readable by the postgres user.
    if (why.empty() && ::chdir("/tmp") != 0) why = "cannot chdir to /tmp";
    ::unsetenv("PGPASSWORD");
    ::unsetenv("PGPASSFILE");
    return why;
  }();
  return reason;
}

std::vector<int> free_ports(int count) {
  std::vector<int> ports;
  int start = static_cast<int>(::getpid() % 100);  // spread concurrent runs apart
  for (int i = 0; i < 100 && static_cast<int>(ports.size()) < count; ++i) {
    int port = 16100 + (start + i) % 100;
    if (port_free(port)) ports.push_back(port);
  }
  return ports;
}

void stop_postmaster_hard(const std::string& data_dir) {
  auto text = read_text_file(data_dir + "/postmaster.pid", 4096);
  if (!text.ok()) return;
  auto file = parse_postmaster_pid(*text);
  if (!file.ok() || !is_postmaster_of(file->pid, data_dir)) return;
  int pid = file->pid;
  signal_postmaster_family(pid, SIGCONT);
  ::kill(pid, SIGQUIT);
  if (wait_until([pid] { return !process_alive(pid); }, std::chrono::seconds(5))) return;
  signal_postmaster_family(pid, SIGKILL);
  wait_until([pid] { return !process_alive(pid); }, std::chrono::seconds(5));
}

TestRoot::TestRoot() {
  char name[] = "/tmp/pghalo-pg-test-XXXXXX";
  if (::mkdtemp(name)) path_ = name;
}

TestRoot::~TestRoot() {
  for (const auto& dir : data_dirs_) stop_postmaster_hard(dir);
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

LocalPostgresSettings TestRoot::node(const std::string& name, int port) {
  std::string home = path_ + "/" + name;
  fs::create_directories(home);
  fs::permissions(home, fs::perms::owner_all);
  LocalPostgresSettings s;
  s.data_dir = home + "/data";
  s.bin_dir = kPgBinDir;
  s.pgpass_path = home + "/pgpass";
  s.listen_addresses = "127.0.0.1";
  s.port = port;
  s.unix_socket_dir = home;
  s.superuser = "postgres";
  s.superuser_password = kSuperuserPassword;
  s.replication_user = "replicator";
  s.replication_password = kReplicationPassword;
  s.member_name = name;
  s.scope = "pghalo-test";
  s.pg_ctl_timeout = std::chrono::seconds(30);
  data_dirs_.push_back(s.data_dir);
  return s;
}

BootstrapSpec bootstrap_spec(std::vector<std::string> extra) {
  BootstrapSpec spec;
  spec.initdb_args = {"--encoding=UTF8", "--data-checksums"};
  for (auto& arg : extra) spec.initdb_args.push_back(std::move(arg));
  spec.superuser = "postgres";
  spec.superuser_password = kSuperuserPassword;
  spec.pg_hba_append = {"host replication replicator 127.0.0.1/32 scram-sha-256"};
  return spec;
}

std::map<std::string, std::string> test_parameters() {
  return {{"wal_level", "replica"},
          {"hot_standby", "on"},
          {"max_wal_senders", "10"},
          {"max_replication_slots", "10"},
          {"wal_log_hints", "on"},
          {"wal_keep_size", "128MB"},
          {"max_connections", "30"},
          {"shared_buffers", "16MB"},
          {"password_encryption", "scram-sha-256"},
          {"logging_collector", "off"},
          {"wal_receiver_status_interval", "1s"}};
}

std::vector<std::string> test_pg_hba() {
  return {"local all all scram-sha-256", "host all all 127.0.0.1/32 scram-sha-256",
          "host replication replicator 127.0.0.1/32 scram-sha-256"};
}

SourceServer source_of(const LocalPostgresSettings& node, const std::string& user,
                       const std::string& password) {
  SourceServer s;
  s.host = "127.0.0.1";
  s.port = node.port;
  s.user = user;
  s.password = password;
  return s;
}

Result<QueryResult> query(const LocalPostgresSettings& node, const std::string& sql) {
  PgSession::Keywords keywords = {{"host", node.unix_socket_dir},
                                  {"port", std::to_string(node.port)},
                                  {"user", node.superuser},
                                  {"password", *node.superuser_password},
                                  {"dbname", "postgres"}};
  auto session = PgSession::connect(keywords, std::chrono::seconds(5));
  if (!session.ok()) return session.error();
  auto results = (*session)->query(sql, std::chrono::seconds(10));
  if (!results.ok()) return results.error();
  if (results->empty()) return QueryResult{};
  return results->back();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace pghalo::pg::testing
