// Integration: GatewayClient against a 3-member etcd 3.4 cluster with mutual TLS, as the seed
// runs it: endpoint rotation when members stop, quorum loss bounded by the deadline, watch
// resumption, and one clear message per TLS misconfiguration. Skips when etcd is missing.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "dcs/etcd/etcd_store.h"
#include "dcs/etcd/gateway_client.h"
#include "dcs/etcd/watcher.h"
#include "tests/support/etcd_cluster.h"

namespace pghalo::dcs::etcd {
namespace {

using model::MemberName;
using testsupport::EtcdCluster;

class EtcdTlsIntegration : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    testsupport::EtcdClusterOptions options;
    options.members = 3;
    options.tls = true;
    options.first_port = 17140;
    options.last_port = 17169;
    suite_.start(options);
  }
  static void TearDownTestSuite() { suite_.stop(); }
  void SetUp() override {
    if (!EtcdCluster::etcd_available()) GTEST_SKIP() << "etcd is not installed (/usr/bin/etcd)";
    cluster_ = suite_.cluster();
    ASSERT_NE(cluster_, nullptr) << suite_.error();
    // A test that stopped members may have failed before restarting them.
    for (int i = 0; i < cluster_->size(); ++i) {
      if (!cluster_->running(i)) {
        ASSERT_TRUE(cluster_->restart_member(i).ok());
      }
    }
  }

  TlsSettings good_tls() const {
    const std::string& dir = cluster_->certs_dir();
    return {dir + "/ca.crt", dir + "/etcd-client.crt", dir + "/etcd-client.key", ""};
  }
  GatewayOptions options(std::vector<std::string> endpoints = {}) const {
    GatewayOptions o;
    o.endpoints = endpoints.empty() ? cluster_->host_ports() : endpoints;
    o.protocol = "https";
    o.tls = good_tls();
    o.retry_timeout = seconds(3);
    return o;
  }
  int member_of(const std::string& url) const {
    for (int i = 0; i < cluster_->size(); ++i) {
      if (cluster_->client_url(i) == url) return i;
    }
    return -1;
  }
  // The error a single-endpoint client gets for one read.
  std::string read_error(GatewayOptions o) {
    o.use_proxies = true;
    o.endpoints = {cluster_->host_port(0)};
    GatewayClient client(o, clock_, random_);
    auto range = client.range("/x", "", false, seconds(3));
    return range.ok() ? "<no error>" : range.error().message;
  }

  static testsupport::SuiteCluster suite_;
  EtcdCluster* cluster_ = nullptr;
  SystemClock clock_;
  SeededRandom random_{3};
};

testsupport::SuiteCluster EtcdTlsIntegration::suite_;

TEST_F(EtcdTlsIntegration, DiscoversTheMembersAndMovesOnWhenItsEndpointStops) {
  GatewayClient client(options({cluster_->host_port(0)}), clock_, random_);
  ASSERT_TRUE(client.put({"/itest/rotate", "1", LeaseId(0)}, seconds(3)).ok());
  EXPECT_EQ(client.endpoints().size(), 3u);  // from /cluster/member/list
  int used = member_of(client.current_endpoint());
  ASSERT_GE(used, 0);
  ASSERT_TRUE(cluster_->stop_member(used).ok());
  int failures = 0;
  for (int i = 0; i < 5; ++i) {
    if (!client.put({"/itest/rotate", std::to_string(i), LeaseId(0)}, seconds(3)).ok()) ++failures;
  }
  EXPECT_LE(failures, 1);
  EXPECT_NE(member_of(client.current_endpoint()), used);
  auto range = client.range("/itest/rotate", "", false, seconds(3));
  ASSERT_TRUE(range.ok()) << range.error().message;
  EXPECT_EQ(range->kvs.at(0).value, "4");
}

TEST_F(EtcdTlsIntegration, QuorumLossFailsWithinTheDeadlineAndHealsWhenMembersReturn) {
  GatewayClient client(options(), clock_, random_);
  EtcdStore store(client, clock_, "/service", "itest-quorum", {seconds(30), seconds(3)});
  ASSERT_TRUE(*store.acquire_leader(MemberName("node1")));
  ASSERT_TRUE(cluster_->stop_member(1).ok());
  EXPECT_TRUE(store.read_cluster().ok());  // one member down: reads and writes go on
  EXPECT_TRUE(store.keepalive().ok());
  ASSERT_TRUE(cluster_->stop_member(2).ok());
  auto started = std::chrono::steady_clock::now();
  auto read = store.read_cluster();
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(read.error().code == ErrorCode::kUnavailable ||
              read.error().code == ErrorCode::kTimeout)
      << read.error().to_string();
  EXPECT_LT(elapsed, seconds(5));  // bounded by retry_timeout (3 s) plus slack
  // etcd's leader renews leases without consensus until it notices the lost quorum (about one
  // election timeout, 1 s here): keepalives may still succeed briefly, then fail, each bounded.
  std::optional<Error> keepalive_error;
  for (int i = 0; i < 10 && !keepalive_error; ++i) {
    auto keepalive = store.keepalive();
    if (!keepalive.ok()) {
      keepalive_error = keepalive.error();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  }
  ASSERT_TRUE(keepalive_error);
  EXPECT_TRUE(keepalive_error->code == ErrorCode::kUnavailable ||
              keepalive_error->code == ErrorCode::kTimeout)
      << keepalive_error->to_string();
  ASSERT_TRUE(cluster_->restart_member(1).ok());
  ASSERT_TRUE(cluster_->restart_member(2).ok());
  bool healed = false;
  for (int i = 0; i < 20 && !healed; ++i) {
    healed = store.read_cluster().ok();
    if (!healed) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(healed);
  EXPECT_TRUE(store.remove_cluster().ok());
}

// A watcher on its own client whose endpoints are members 0, 1, 2 in that order (no
// discovery), so its stream starts on member 0; plus a writer that talks to member 2 only.
class WatchProbe {
 public:
  WatchProbe(GatewayOptions watch_options, GatewayOptions writer_options, const std::string& scope)
      : watch_client_(std::move(watch_options), clock_, random_),
        writer_(std::move(writer_options), clock_, writer_random_),
        watcher_(watch_client_, KeyLayout("/service", scope), jitter_, [this](unsigned c) {
          std::lock_guard lock(mu_);
          seen_ |= c;
          cv_.notify_all();
        }) {}
  ~WatchProbe() { watcher_.stop(); }

  GatewayClient& watch_client() { return watch_client_; }
  GatewayClient& writer() { return writer_; }
  void start() {
    watcher_.start();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it reach member 0
  }
  bool wait_for(unsigned bits, Duration bound) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return (seen_ & bits) == bits; });
  }
  void stop() { watcher_.stop(); }

 private:
  SystemClock clock_;
  SeededRandom random_{3}, writer_random_{8}, jitter_{4};
  GatewayClient watch_client_;
  GatewayClient writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned seen_ = 0;
  Watcher watcher_;
};

TEST_F(EtcdTlsIntegration, TheWatchResumesOnAnotherMemberAfterItsMemberDied) {
  GatewayOptions ordered = options(cluster_->host_ports());
  ordered.use_proxies = true;
  WatchProbe probe(ordered, options({cluster_->host_port(2)}), "itest-tls-watch");
  probe.start();
  ASSERT_TRUE(cluster_->stop_member(0).ok());
  ASSERT_TRUE(
      probe.writer().put({"/service/itest-tls-watch/config", "{}", LeaseId(0)}, seconds(3)).ok());
  EXPECT_TRUE(probe.wait_for(kConfigChanged, seconds(8)));
}

TEST_F(EtcdTlsIntegration, TheWatchLeavesAFrozenMemberAfterTheIdleBound) {
  GatewayOptions ordered = options(cluster_->host_ports());
  ordered.use_proxies = true;
  WatchProbe probe(ordered, options({cluster_->host_port(2)}), "itest-frozen");
  probe.watch_client().set_timing(seconds(6), seconds(1), seconds(2));  // idle bound: 1 + 2 = 3 s
  probe.start();
  ASSERT_TRUE(cluster_->freeze_member(0).ok());  // SIGSTOP: TCP stays up, etcd says nothing
  auto written =
      probe.writer().put({"/service/itest-frozen/failover", "{}", LeaseId(0)}, seconds(6));
  bool woke = written.ok() && probe.wait_for(kFailoverChanged, seconds(10));
  probe.stop();
  ASSERT_TRUE(cluster_->thaw_member(0).ok());
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_TRUE(woke);
}

TEST_F(EtcdTlsIntegration, AWrongCaGivesOneClearErrorAndReloadRecoversOnceTheFileIsFixed) {
  auto other = testsupport::make_temp_dir();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(testsupport::make_certs(*other).ok());
  std::string configured_ca = *other + "/configured-ca.crt";
  std::filesystem::copy_file(*other + "/ca.crt", configured_ca);
  GatewayOptions o = options();
  o.tls.cacert = configured_ca;
  GatewayClient client(o, clock_, random_);
  // 6 s: enough for a full second per endpoint, so that all three are tried (spec 1.7 split).
  auto failed = client.range("/x", "", false, seconds(6));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().message,
            "etcd " + cluster_->client_url(0) + ", " + cluster_->client_url(1) + ", " +
                cluster_->client_url(2) +
                ": TLS handshake failed: certificate verify failed (unable to get local "
                "issuer certificate)");
  // The operator installs the right CA under the configured path and sends SIGHUP.
  std::filesystem::copy_file(cluster_->certs_dir() + "/ca.crt", configured_ca,
                             std::filesystem::copy_options::overwrite_existing);
  client.reload();
  auto recovered = client.range("/x", "", false, seconds(3));
  EXPECT_TRUE(recovered.ok()) << recovered.error().message;
  testsupport::remove_tree(*other);
}

TEST_F(EtcdTlsIntegration, AMissingClientCertificateNamesTheServersAlert) {
  GatewayOptions o = options();
  o.tls.cert.clear();
  o.tls.key.clear();
  std::string message = read_error(o);
  EXPECT_NE(message.find("etcd " + cluster_->client_url(0) +
                         ": TLS handshake failed: the server sent alert"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("; no client certificate is configured"), std::string::npos) << message;
}

TEST_F(EtcdTlsIntegration, AnExpiredClientCertificateNamesTheServersAlert) {
  ASSERT_TRUE(testsupport::make_expired_client_cert(cluster_->certs_dir(), "expired-client").ok());
  GatewayOptions o = options();
  o.tls.cert = cluster_->certs_dir() + "/expired-client.crt";
  o.tls.key = cluster_->certs_dir() + "/expired-client.key";
  std::string message = read_error(o);
  EXPECT_NE(message.find("etcd " + cluster_->client_url(0) +
                         ": TLS handshake failed: the server sent alert"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("; the client certificate " + o.tls.cert +
                         " expired on 2020-01-02 00:00:00 UTC"),
            std::string::npos)
      << message;
}

TEST_F(EtcdTlsIntegration, AServerCertificateForAnotherAddressIsAHostnameMismatch) {
  ASSERT_TRUE(
      testsupport::make_certs(cluster_->certs_dir(), {"--server", "etcd-elsewhere=127.0.0.2"})
          .ok());
  testsupport::EtcdClusterOptions wrong;
  wrong.tls = true;
  wrong.certs_dir = cluster_->certs_dir();
  wrong.server_cert_names = {"etcd-elsewhere"};
  wrong.first_port = 17170;
  wrong.last_port = 17189;
  wrong.wait_healthy = false;
  auto started = EtcdCluster::start(wrong);
  ASSERT_TRUE(started.ok()) << started.error().message;
  GatewayOptions o = options({(*started)->host_port(0)});
  o.use_proxies = true;
  GatewayClient client(o, clock_, random_);
  auto failed = client.range("/x", "", false, seconds(3));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message,
            "etcd " + (*started)->client_url(0) +
                ": TLS handshake failed: certificate verify failed (hostname/IP mismatch: "
                "the server certificate does not name '127.0.0.1')");
}

}  // namespace
}  // namespace pghalo::dcs::etcd
