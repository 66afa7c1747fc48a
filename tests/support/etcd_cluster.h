// EtcdCluster: a real etcd (1 or 3 members) on 127.0.0.1 for integration tests, plain or with
// TLS exactly as the seed runs it (https URLs, --client-cert-auth, --peer-client-cert-auth,
// trusted CA, one certificate per member made by lab/make-certs.sh).
//
// Every wait is bounded; members are stopped by pid (SIGTERM, then SIGKILL after a bound) and
// also die with the test process (PR_SET_PDEATHSIG), so nothing outlives a failed test. Data
// lives under /tmp/pghalo-etcd-test-*/ and is removed by the destructor.
// Not thread-safe: drive it from the test's thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace pghalo::testsupport {

struct EtcdClusterOptions {
  int members = 1;  // 1 or 3
  // Ports are taken from [first_port, last_port] (inside 17000-17199): two per member.
  int first_port = 17100;
  int last_port = 17199;
  bool tls = false;
  // Certificate name per member (lab/make-certs.sh --server NAME=...); default etcd1, etcd2, ...
  std::vector<std::string> server_cert_names;
  // Where the certificates are; made on demand with make_certs() when empty.
  std::string certs_dir;
  Duration start_timeout{20000};
  // false: start() waits only until the client port accepts connections (for members that a
  // verifying client cannot talk to, e.g. with a certificate for another address).
  bool wait_healthy = true;
};

class EtcdCluster {
 public:
  // Starts every member and waits until all report healthy.
  static Result<std::unique_ptr<EtcdCluster>> start(EtcdClusterOptions options);
  static bool etcd_available();  // /usr/bin/etcd is installed
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  std::string host_port(int member) const;      // "127.0.0.1:17100"
  std::string client_url(int member) const;     // "https://127.0.0.1:17100"
  std::vector<std::string> host_ports() const;  // every member's
  const std::string& certs_dir() const { return options_.certs_dir; }
  const std::string& root() const { return root_; }

  Status stop_member(int member);     // SIGTERM, SIGKILL after 5 s
  Status freeze_member(int member);   // SIGSTOP: alive to TCP, silent to HTTP
  Status thaw_member(int member);     // SIGCONT
  Status restart_member(int member);  // same data dir; waits until healthy
  Status wait_healthy(int member, Duration timeout);
  Status wait_listening(int member, Duration timeout);
  bool running(int member) const;

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
  };

  explicit EtcdCluster(EtcdClusterOptions options) : options_(std::move(options)) {}
  Status prepare();  // data root, certificate names, certificates
  Status allocate_ports();
  Status launch_all();
  Status launch(int member, bool existing);
  std::vector<std::string> arguments(int member, bool existing) const;
  std::string scheme() const { return options_.tls ? "https" : "http"; }

  EtcdClusterOptions options_;
  std::string root_;
  std::vector<Member> members_;
};

// One cluster shared by a whole GoogleTest suite: start() in SetUpTestSuite, stop() in
// TearDownTestSuite; tests check cluster() (nullptr: see error(), or etcd is not installed).
class SuiteCluster {
 public:
  void start(const EtcdClusterOptions& options) {
    if (!EtcdCluster::etcd_available()) return;
    auto started = EtcdCluster::start(options);
    if (started.ok()) {
      cluster_ = std::move(started).value();
    } else {
      error_ = started.error().message;
    }
  }
  void stop() { cluster_.reset(); }
  EtcdCluster* cluster() const { return cluster_.get(); }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<EtcdCluster> cluster_;
  std::string error_ = "etcd did not start";
};

// Runs lab/make-certs.sh OUTDIR with the seed's defaults plus `extra` arguments.
Status make_certs(const std::string& dir, const std::vector<std::string>& extra = {});
// A client certificate signed by dir/ca.crt whose validity ended yesterday: dir/<name>.crt/.key.
Status make_expired_client_cert(const std::string& dir, const std::string& name);
// A fresh directory /tmp/pghalo-etcd-test-XXXXXX.
Result<std::string> make_temp_dir();
void remove_tree(const std::string& path);

}  // namespace pghalo::testsupport
