// CurlPeerClient against local servers on 127.0.0.1 (the api module's HttpServer with a scripted
// handler): reachable, refused, timed out, garbage, authentication, TLS with a client
// certificate, parallel requests, and POST /failsafe with its single retry.
#include "peer/curl_peer_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>

#include "api/http_server.h"
#include "api/testing/http_client.h"

namespace pghalo::peer {
namespace {

using model::MemberName;

const char* kReplicaStatus =
    R"({"state": "running", "role": "replica", "xlog": {"received_location": 700, "replayed_location": 650}, "timeline": 2})";

// /patroni answers `status_body`; /slow and the first `slow_posts` POSTs wait `delay`;
// /garbage answers HTML; with `expected_auth` set, anything else gets 401.
class PeerHandler final : public api::HttpHandler {
 public:
  bool is_fast(const api::Request& r) const override {
    return r.method == "GET" && r.path != "/slow";
  }
  api::Response handle(const api::Request& r) override {
    if (expected_auth && r.header("authorization") != expected_auth) {
      return api::text_response(401, "no auth header received");
    }
    if (r.path == "/garbage") return api::text_response(200, "<html>not a status</html>");
    if (r.method == "POST") {
      int n = ++posts;
      {
        std::lock_guard lock(mutex_);
        last_post_body_ = r.body;
      }
      if (n <= slow_posts) wait(delay);
      return api::text_response(failsafe_status, failsafe_body);
    }
    if (r.path == "/slow") wait(delay);
    return api::json_response(status_code, status_body);
  }
  std::string last_post_body() {
    std::lock_guard lock(mutex_);
    return last_post_body_;
  }
  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    cv_.notify_all();
  }

  std::optional<std::string> expected_auth;
  std::string status_body = kReplicaStatus;
  int status_code = 200;
  int failsafe_status = 200;
  std::string failsafe_body = "Accepted";
  int slow_posts = 0;
  Duration delay{3000};
  std::atomic<int> posts{0};

 private:
  void wait(Duration d) {  // a slow peer; stop() cuts it short
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, d, [this] { return cancelled_; });
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::string last_post_body_;
};

class CurlPeerClientTest : public ::testing::Test {
 protected:
  void start(api::HttpServerOptions options = {}) {
    server_ = api::testing::start_server(std::move(options), handler_);
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::string url(const std::string& path, const char* scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  static MonoTime now() { return std::chrono::steady_clock::now(); }

  PeerHandler handler_;
  std::unique_ptr<api::HttpServer> server_;
};

// A port in the tests' range that refuses connections: bound, never listening.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    for (int port = 19199; port >= 19000; --port) {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        port_ = port;
        return;
      }
    }
  }
  ~RefusingPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(CurlPeerClientTest, ReadsAReachableMembersStatus) {
  start();
  CurlPeerClient client({});
  auto statuses = client.fetch_status({{MemberName("node2"), url("/patroni")}}, Duration(2000));
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_TRUE(statuses[0].reachable) << statuses[0].error;
  EXPECT_FALSE(statuses[0].is_primary);
  EXPECT_EQ(statuses[0].wal_position, model::Lsn(700));
  EXPECT_EQ(statuses[0].timeline, model::TimelineId(2));
}

TEST_F(CurlPeerClientTest, ReadsTheStatusWhateverTheHttpCode) {
  start();
  handler_.status_code = 503;
  CurlPeerClient client({});
  auto statuses = client.fetch_status({{MemberName("node2"), url("/replica")}}, Duration(2000));
  EXPECT_TRUE(statuses[0].reachable);
}

TEST_F(CurlPeerClientTest, ReportsRefusedTimedOutAndGarbageAsUnreachableInOrder) {
  start();
  RefusingPort refusing;
  ASSERT_NE(refusing.port(), 0);
  CurlPeerClient client({});
  MonoTime begin = now();
  auto statuses = client.fetch_status(
      {{MemberName("slow"), url("/slow")},
       {MemberName("refused"), "http://127.0.0.1:" + std::to_string(refusing.port()) + "/patroni"},
       {MemberName("garbage"), url("/garbage")},
       {MemberName("ok"), url("/patroni")}},
      Duration(400));
  // All at once: the slow member costs one timeout, not one per member.
  EXPECT_LT(now() - begin, std::chrono::milliseconds(1200));
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0].name, MemberName("slow"));
  EXPECT_FALSE(statuses[0].reachable);
  EXPECT_NE(statuses[0].error.find("imed out"), std::string::npos) << statuses[0].error;
  EXPECT_FALSE(statuses[1].reachable);
  EXPECT_FALSE(statuses[1].error.empty());
  EXPECT_FALSE(statuses[2].reachable);
  EXPECT_NE(statuses[2].error.find("not JSON"), std::string::npos) << statuses[2].error;
  EXPECT_TRUE(statuses[3].reachable);
}

TEST_F(CurlPeerClientTest, SendsBasicAuthWhenConfigured) {
  start();
  handler_.expected_auth = "Basic cGF0cm9uaTpzM2NyZXQ=";  // patroni:s3cret
  CurlPeerClient anonymous({});
  EXPECT_FALSE(anonymous.fetch_status({{MemberName("n"), url("/patroni")}}, Duration(2000))[0]
                   .reachable);
  CurlPeerOptions options;
  options.username = "patroni";
  options.password = "s3cret";
  CurlPeerClient client(options);
  EXPECT_TRUE(client.fetch_status({{MemberName("n"), url("/patroni")}}, Duration(2000))[0].reachable);
}

TEST_F(CurlPeerClientTest, RefusesOversizedAnswers) {
  start();
  handler_.status_body = std::string(R"({"xlog": {"location": 1}, "pad": ")") +
                         std::string(5000, 'x') + "\"}";
  CurlPeerOptions options;
  options.max_body_bytes = 1000;
  CurlPeerClient client(options);
  auto status = client.fetch_status({{MemberName("n"), url("/patroni")}}, Duration(2000))[0];
  EXPECT_FALSE(status.reachable);
  EXPECT_NE(status.error.find("larger than 1000 bytes"), std::string::npos) << status.error;
}

TEST_F(CurlPeerClientTest, PostsFailsafeAndReadsAcceptedOrRefused) {
  start();
  CurlPeerClient client({});
  nlohmann::json body = {{"name", "node1"}, {"api_url", "http://127.0.0.1:8008/patroni"}};
  auto replies = client.post_failsafe({{MemberName("node2"), url("/patroni")}}, body, Duration(2000));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_TRUE(replies[0].accepted) << replies[0].error;
  EXPECT_EQ(nlohmann::json::parse(handler_.last_post_body()), body);
  handler_.failsafe_status = 500;
  handler_.failsafe_body = "Running as a leader";
  replies = client.post_failsafe({{MemberName("node2"), url("/patroni")}}, body, Duration(2000));
  EXPECT_FALSE(replies[0].accepted);
  EXPECT_EQ(replies[0].error, "HTTP 500: Running as a leader");
  EXPECT_EQ(handler_.posts.load(), 2);  // answers are not retried
}

TEST_F(CurlPeerClientTest, RetriesAFailsafePostThatGotNoAnswerOnce) {
  start();
  handler_.slow_posts = 1;
  CurlPeerClient client({});
  auto replies = client.post_failsafe({{MemberName("node2"), url("/patroni")}}, {{"name", "x"}},
                                      Duration(1000));
  EXPECT_TRUE(replies[0].accepted) << replies[0].error;
  EXPECT_EQ(handler_.posts.load(), 2);
  RefusingPort refusing;
  auto refused = client.post_failsafe(
      {{MemberName("gone"), "http://127.0.0.1:" + std::to_string(refusing.port()) + "/patroni"},
       {MemberName("bad"), "not-a-url"}},
      {{"name", "x"}}, Duration(300));
  EXPECT_FALSE(refused[0].accepted);
  EXPECT_FALSE(refused[0].error.empty());
  EXPECT_NE(refused[1].error.find("has no scheme"), std::string::npos);
}

TEST_F(CurlPeerClientTest, PresentsAClientCertificateToAPeerThatRequiresOne) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "pghalo-peer-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  fs::path dir = pattern;
  std::string command = std::string(PGHALO_SOURCE_DIR "/lab/make-certs.sh ") + dir.string() +
                        " --server api=127.0.0.1 --client c1 >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "lab/make-certs.sh failed";
  }
  api::HttpServerOptions options;
  options.tls = api::TlsOptions{(dir / "api.crt").string(), (dir / "api.key").string(), "",
                                (dir / "ca.crt").string(), "", "required"};
  start(options);
  CurlPeerClient without({});
  EXPECT_FALSE(without.fetch_status({{MemberName("n"), url("/patroni", "https")}}, Duration(2000))[0]
                   .reachable);
  CurlPeerOptions peer;
  peer.certfile = (dir / "c1.crt").string();
  peer.keyfile = (dir / "c1.key").string();
  peer.cacert = (dir / "ca.crt").string();
  peer.insecure = false;
  CurlPeerClient with(peer);
  auto status = with.fetch_status({{MemberName("n"), url("/patroni", "https")}}, Duration(2000))[0];
  EXPECT_TRUE(status.reachable) << status.error;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pghalo::peer
