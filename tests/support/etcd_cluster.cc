#include "tests/support/etcd_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dcs/etcd/curl_session.h"

namespace pghalo::testsupport {
namespace {

constexpr char kEtcd[] = "/usr/bin/etcd";

bool port_free(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Waits for `pid` to exit for at most `bound`; true when it did (and was reaped).
bool reap_within(pid_t pid, Duration bound) {
  auto end = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

Status run_shell(const std::string& command) {
  int rc = std::system(command.c_str());  // NOLINT: test helper, fixed arguments
  if (rc != 0)
    return make_error(ErrorCode::kInternal,
                      "command failed (" + std::to_string(rc) + "): " + command);
  return ok_status();
}

}  // namespace

Result<std::string> make_temp_dir() {
  char pattern[] = "/tmp/pghalo-etcd-test-XXXXXX";
  if (!mkdtemp(pattern))
    return make_error(ErrorCode::kInternal, std::string("mkdtemp: ") + std::strerror(errno));
  return std::string(pattern);
}

void remove_tree(const std::string& path) {
  if (path.rfind("/tmp/pghalo-etcd-test-", 0) != 0) return;  // never anything else
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

bool EtcdCluster::etcd_available() { return access(kEtcd, X_OK) == 0; }

Status EtcdCluster::allocate_ports() {
  int port = options_.first_port;
  for (int i = 0; i < options_.members; ++i) {
    while (port + 1 <= options_.last_port && !(port_free(port) && port_free(port + 1))) port += 2;
    if (port + 1 > options_.last_port) {
      return make_error(ErrorCode::kUnavailable, "no free ports for etcd");
    }
    members_.push_back({"etcd" + std::to_string(i + 1), port, port + 1, -1});
    port += 2;
  }
  return ok_status();
}

Status EtcdCluster::prepare() {
  auto root = make_temp_dir();
  if (!root.ok()) return root.error();
  root_ = *root;
  for (int i = static_cast<int>(options_.server_cert_names.size()); i < options_.members; ++i) {
    options_.server_cert_names.push_back("etcd" + std::to_string(i + 1));
  }
  if (!options_.tls || !options_.certs_dir.empty()) return ok_status();
  options_.certs_dir = root_ + "/certs";
  return make_certs(options_.certs_dir);
}

Status EtcdCluster::launch_all() {
  for (int i = 0; i < size(); ++i) PGHALO_TRY(launch(i, false));
  for (int i = 0; i < size(); ++i) {
    PGHALO_TRY(options_.wait_healthy ? wait_healthy(i, options_.start_timeout)
                                     : wait_listening(i, options_.start_timeout));
  }
  return ok_status();
}

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::start(EtcdClusterOptions options) {
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(std::move(options)));
  PGHALO_TRY(cluster->prepare());
  PGHALO_TRY(cluster->allocate_ports());
  PGHALO_TRY(cluster->launch_all());
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < size(); ++i) (void)stop_member(i);
  remove_tree(root_);
}

std::string EtcdCluster::host_port(int member) const {
  return "127.0.0.1:" + std::to_string(members_[static_cast<std::size_t>(member)].client_port);
}

std::string EtcdCluster::client_url(int member) const {
  return scheme() + "://" + host_port(member);
}

std::vector<std::string> EtcdCluster::host_ports() const {
  std::vector<std::string> out;
  out.reserve(members_.size());
  for (int i = 0; i < size(); ++i) out.push_back(host_port(i));
  return out;
}

bool EtcdCluster::running(int member) const {
  return members_[static_cast<std::size_t>(member)].pid > 0;
}

std::vector<std::string> EtcdCluster::arguments(int member, bool existing) const {
  const Member& m = members_[static_cast<std::size_t>(member)];
  std::string peer_url = scheme() + "://127.0.0.1:" + std::to_string(m.peer_port);
  std::string initial;
  for (const auto& other : members_) {
    initial += (initial.empty() ? "" : ",") + other.name + "=" + scheme() +
               "://127.0.0.1:" + std::to_string(other.peer_port);
  }
  std::vector<std::string> args = {kEtcd,
                                   "--name",
                                   m.name,
                                   "--data-dir",
                                   root_ + "/" + m.name,
                                   "--listen-client-urls",
                                   client_url(member),
                                   "--advertise-client-urls",
                                   client_url(member),
                                   "--listen-peer-urls",
                                   peer_url,
                                   "--initial-advertise-peer-urls",
                                   peer_url,
                                   "--initial-cluster",
                                   initial,
                                   "--initial-cluster-token",
                                   "pghalo-test",
                                   "--initial-cluster-state",
                                   existing ? "existing" : "new",
                                   "--heartbeat-interval",
                                   "100",
                                   "--election-timeout",
                                   "1000",
                                   "--logger",
                                   "zap",
                                   "--log-outputs",
                                   root_ + "/" + m.name + ".log"};
  if (options_.tls) {
    const std::string& dir = options_.certs_dir;
    const std::string& cert = options_.server_cert_names[static_cast<std::size_t>(member)];
    for (const std::string& side : {std::string(""), std::string("peer-")}) {
      args.insert(args.end(),
                  {"--" + side + "cert-file", dir + "/" + cert + ".crt", "--" + side + "key-file",
                   dir + "/" + cert + ".key", "--" + side + "trusted-ca-file", dir + "/ca.crt",
                   "--" + side + "client-cert-auth"});
    }
  }
  return args;
}

Status EtcdCluster::launch(int member, bool existing) {
  std::vector<std::string> args = arguments(member, existing);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string out = root_ + "/" + members_[static_cast<std::size_t>(member)].name + ".out";
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return make_error(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Dies with the test process, even when the test crashes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(kEtcd, argv.data());
    _exit(127);
  }
  members_[static_cast<std::size_t>(member)].pid = pid;
  return ok_status();
}

Status EtcdCluster::freeze_member(int member) {
  pid_t pid = members_[static_cast<std::size_t>(member)].pid;
  if (pid <= 0 || kill(pid, SIGSTOP) != 0) {
    return make_error(ErrorCode::kFailedPrecondition, "member not running");
  }
  return ok_status();
}

Status EtcdCluster::thaw_member(int member) {
  pid_t pid = members_[static_cast<std::size_t>(member)].pid;
  if (pid <= 0 || kill(pid, SIGCONT) != 0) {
    return make_error(ErrorCode::kFailedPrecondition, "member not running");
  }
  return ok_status();
}

Status EtcdCluster::stop_member(int member) {
  Member& m = members_[static_cast<std::size_t>(member)];
  if (m.pid <= 0) return ok_status();
  kill(m.pid, SIGCONT);  // a frozen member cannot act on SIGTERM
  kill(m.pid, SIGTERM);
  if (!reap_within(m.pid, std::chrono::seconds(5))) {
    kill(m.pid, SIGKILL);
    reap_within(m.pid, std::chrono::seconds(5));
  }
  m.pid = -1;
  return ok_status();
}

Status EtcdCluster::restart_member(int member) {
  PGHALO_TRY(stop_member(member));
  PGHALO_TRY(launch(member, true));
  return wait_healthy(member, options_.start_timeout);
}

Status EtcdCluster::wait_healthy(int member, Duration timeout) {
  dcs::etcd::TlsSettings tls;
  if (options_.tls) {
    tls.cacert = options_.certs_dir + "/ca.crt";
    tls.cert = options_.certs_dir + "/etcd-client.crt";
    tls.key = options_.certs_dir + "/etcd-client.key";
  }
  dcs::etcd::CurlSession session;
  auto end = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    pid_t pid = members_[static_cast<std::size_t>(member)].pid;
    if (pid <= 0 || waitpid(pid, &status, WNOHANG) == pid) {
      members_[static_cast<std::size_t>(member)].pid = -1;
      return make_error(ErrorCode::kUnavailable,
                        "etcd member " + std::to_string(member) + " exited; see " + root_);
    }
    dcs::etcd::HttpRequest request;
    request.url = client_url(member) + "/health";
    request.get = true;
    request.timeout = std::chrono::seconds(1);
    auto outcome = session.perform(request, tls, {});
    if (outcome.response && outcome.response->body.find("\"true\"") != std::string::npos)
      return ok_status();
    last = outcome.error ? outcome.error->message : outcome.response->body;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(ErrorCode::kTimeout,
                    "etcd member " + std::to_string(member) + " not healthy: " + last);
}

Status EtcdCluster::wait_listening(int member, Duration timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  int port = members_[static_cast<std::size_t>(member)].client_port;
  while (std::chrono::steady_clock::now() < end) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool connected = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (fd >= 0) close(fd);
    if (connected) return ok_status();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error(ErrorCode::kTimeout,
                    "etcd member " + std::to_string(member) + " does not listen");
}

Status make_certs(const std::string& dir, const std::vector<std::string>& extra) {
  std::string command = "bash '" PGHALO_SOURCE_DIR "/lab/make-certs.sh' '" + dir + "'";
  for (const auto& arg : extra) command += " '" + arg + "'";
  return run_shell(command + " >/dev/null 2>&1");
}

Status make_expired_client_cert(const std::string& dir, const std::string& name) {
  // OpenSSL 3.0's `x509 -req` cannot backdate a certificate; `openssl ca` with explicit dates can.
  std::string ca = dir + "/expired-ca";
  std::error_code error;
  std::filesystem::create_directories(ca + "/new", error);
  if (error) return make_error(ErrorCode::kInternal, "mkdir " + ca + ": " + error.message());
  std::ofstream(ca + "/index.txt").flush();
  std::ofstream(ca + "/serial") << "1000\n";
  std::ofstream(ca + "/openssl.cnf")
      << "[ca]\ndefault_ca=d\n[d]\ndir=" << ca
      << "\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/new\nserial=$dir/serial\n"
         "default_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n[ext]\n"
         "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
         "extendedKeyUsage=clientAuth\n";
  std::string key = dir + "/" + name + ".key", csr = ca + "/" + name + ".csr",
              crt = dir + "/" + name + ".crt";
  PGHALO_TRY(run_shell("openssl genrsa -out '" + key + "' 2048 >/dev/null 2>&1"));
  PGHALO_TRY(run_shell("openssl req -new -key '" + key + "' -out '" + csr + "' -subj '/CN=" + name +
                       "' 2>/dev/null"));
  return run_shell("openssl ca -batch -config '" + ca + "/openssl.cnf' -cert '" + dir +
                   "/ca.crt' -keyfile '" + dir + "/ca.key' -in '" + csr + "' -out '" + crt +
                   "' -startdate 20200101000000Z -enddate 20200102000000Z -extensions ext -notext "
                   ">/dev/null 2>&1");
}

}  // namespace pghalo::testsupport
