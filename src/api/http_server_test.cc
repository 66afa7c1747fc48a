// The HTTP server on 127.0.0.1 with real sockets: keep-alive and HTTP/1.0, exact bytes of
// status-line-only answers, limits (413, 431, 400, connection cap, busy workers), slow clients,
// concurrency, and stop() while clients are connected.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "api/rest_api.h"
#include "api/testing/http_client.h"
#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

using testing::RawClient;

// /fast answers on the loop; /slow blocks on a worker until released or cancelled; /boom throws.
class TestHandler final : public HttpHandler {
 public:
  bool is_fast(const Request& r) const override { return r.path != "/slow"; }
  Response handle(const Request& r) override {
    if (r.path == "/boom") throw std::runtime_error("boom");
    if (r.path == "/status-only") return status_only_response(200);
    if (r.path != "/slow") {
      return text_response(200, r.method + " " + r.path + " body=" + std::to_string(r.body.size()));
    }
    std::unique_lock lock(mutex_);
    ++blocked_;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return released_ || cancelled_; });
    return text_response(200, cancelled_ ? "cancelled" : "released");
  }
  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    cv_.notify_all();
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  bool wait_blocked(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return blocked_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int blocked_ = 0;
  bool released_ = false;
  bool cancelled_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = testing::start_server(std::move(options), handler_);
    ASSERT_TRUE(server_) << "no free port in 19000-19199";
  }
  std::unique_ptr<RawClient> connect() {
    auto client = RawClient::connect(server_->port());
    EXPECT_TRUE(client);
    return client;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  TestHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepsAnHttp11ConnectionForManyRequests) {
  start();
  auto client = connect();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client->send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client->read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status_line, "HTTP/1.1 200 OK");
    EXPECT_EQ(response->body, "GET /fast body=0");
    EXPECT_EQ(response->headers.count("connection"), 0u);
  }
}

TEST_F(HttpServerTest, AnswersPipelinedRequestsInOrder) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(client->read_response()->body, "GET /a body=0");
  EXPECT_EQ(client->read_response()->body, "POST /b body=3");
  EXPECT_EQ(client->read_response()->body, "GET /c body=0");
}

TEST_F(HttpServerTest, ClosesHttp10ConnectionsUnlessKeepAliveIsAsked) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("GET /fast HTTP/1.0\r\n\r\n"));
  bool closed = false;
  std::string bytes = client->read_until_close(Duration(2000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(bytes.substr(0, 17), "HTTP/1.0 200 OK\r\n");
  EXPECT_NE(bytes.find("Connection: close\r\n"), std::string::npos);

  auto kept = connect();
  ASSERT_TRUE(kept->send("GET /fast HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto first = kept->read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->headers["connection"], "keep-alive");
  ASSERT_TRUE(kept->send("GET /fast HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(kept->read_response());
}

TEST_F(HttpServerTest, HonoursConnectionCloseOnHttp11) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("GET /fast HTTP/1.1\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string bytes = client->read_until_close(Duration(2000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_NE(bytes.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, StillAnswersAClientThatHalfClosedAfterItsRequest) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("GET /fast HTTP/1.0\r\n\r\n"));
  client->shutdown_write();
  bool closed = false;
  EXPECT_EQ(client->read_until_close(Duration(2000), &closed).substr(0, 15), "HTTP/1.0 200 OK");
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, AnswersHeadWithHeadersButNoBody) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("HEAD /fast HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\n\r\n"));
  auto head = client->read_response(Duration(2000), /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->headers["content-length"], "17");  // "HEAD /fast body=0"
  auto get = client->read_response();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "GET /fast body=0");
}

TEST_F(HttpServerTest, StatusLineOnlyAnswersAreExactlyPatronisBytes) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("OPTIONS /status-only HTTP/1.1\r\n\r\n"));
  bool closed = false;
  EXPECT_EQ(client->read_until_close(Duration(2000), &closed), "HTTP/1.0 200 OK\r\n\r\n");
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, RefusesAnOversizedBodyWith413AndCloses) {
  HttpServerOptions options;
  options.limits.max_body_bytes = 1024;
  start(options);
  auto client = connect();
  ASSERT_TRUE(client->send("POST /fast HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" +
                           std::string(100, 'x')));
  auto response = client->read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("larger than the limit of 1024 bytes"), std::string::npos);
  EXPECT_EQ(response->headers["connection"], "close");
  bool closed = false;
  client->read_until_close(Duration(3000), &closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, RefusesHugeHeadsAndMalformedRequests) {
  start();
  std::string huge = "GET /fast HTTP/1.1\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n";
  EXPECT_EQ(testing::request_once(server_->port(), huge).status, 431);
  auto bad = testing::request_once(server_->port(), "HELLO\r\n\r\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("malformed request line"), std::string::npos);
  EXPECT_EQ(testing::request_once(server_->port(), "GET / HTTP/3.0\r\n\r\n").status, 505);
}

TEST_F(HttpServerTest, AnswersAThrowingHandlerWith500) {
  start();
  auto response = testing::request_once(server_->port(), "GET /boom HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("boom"), std::string::npos);
}

TEST_F(HttpServerTest, SendsContinueWhenTheClientWaitsForIt) {
  start();
  auto client = connect();
  ASSERT_TRUE(client->send("POST /fast HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client->read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->send("abcd"));
  EXPECT_EQ(client->read_response()->body, "POST /fast body=4");
}

TEST_F(HttpServerTest, ASlowlorisClientDoesNotBlockOthersAndIsCutOff) {
  HttpServerOptions options;
  options.io_threads = 1;
  options.request_timeout = Duration(400);
  start(options);
  auto slow = connect();
  ASSERT_TRUE(slow->send("GET /fast HTTP/1.1\r\nX-A: 1\r\n"));  // never finishes
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(testing::request_once(server_->port(), "GET /fast HTTP/1.1\r\n\r\n").status, 200);
  }
  auto response = slow->read_response(Duration(3000));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
}

TEST_F(HttpServerTest, ClosesIdleKeepAliveConnections) {
  HttpServerOptions options;
  options.idle_timeout = Duration(300);
  start(options);
  auto client = connect();
  ASSERT_TRUE(client->send("GET /fast HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(client->read_response());
  bool closed = false;
  EXPECT_EQ(client->read_until_close(Duration(3000), &closed), "");
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, ServesManyConcurrentClients) {
  start();
  constexpr int kClients = 48, kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      auto client = RawClient::connect(server_->port());
      for (int i = 0; client && i < kRequests; ++i) {
        if (!client->send("GET /fast HTTP/1.1\r\n\r\n")) return;
        auto response = client->read_response();
        if (response && response->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST_F(HttpServerTest, RefusesConnectionsBeyondTheCap) {
  HttpServerOptions options;
  options.max_connections = 3;
  start(options);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect());
    ASSERT_TRUE(held.back()->send("GET /fast HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(held.back()->read_response());  // accepted and counted
  }
  auto extra = connect();
  bool closed = false;
  std::string bytes = extra->read_until_close(Duration(2000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_NE(bytes.find("503 Service Unavailable"), std::string::npos);
  EXPECT_NE(bytes.find("too many open connections"), std::string::npos);
  held.clear();
}

TEST_F(HttpServerTest, RunsBlockingRequestsOnWorkersWhileTheLoopAnswersOthers) {
  start();
  auto slow = connect();
  ASSERT_TRUE(slow->send("POST /slow HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(handler_.wait_blocked(1));
  EXPECT_EQ(testing::request_once(server_->port(), "GET /fast HTTP/1.1\r\n\r\n").status, 200);
  handler_.release();
  auto response = slow->read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "released");
}

TEST_F(HttpServerTest, DropsAClientThatResetWhileItsRequestRanOnAWorker) {
  start();
  auto slow = connect();
  ASSERT_TRUE(slow->send("POST /slow HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(handler_.wait_blocked(1));
  EXPECT_EQ(server_->open_connections(), 1u);
  slow->reset();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (server_->open_connections() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server_->open_connections(), 0u);
  handler_.release();  // its answer finds no connection and is dropped
  EXPECT_EQ(testing::request_once(server_->port(), "GET /fast HTTP/1.1\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, AnswersServiceUnavailableWhenWorkersAndQueueAreFull) {
  HttpServerOptions options;
  options.worker_threads = 1;
  options.max_pending_work = 1;
  // One event loop, so the queued request is read before the refused one is accepted: with two,
  // the loops could take them in either order (a flake seen under ctest -j 2).
  options.io_threads = 1;
  start(options);
  auto first = connect();
  ASSERT_TRUE(first->send("POST /slow HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(handler_.wait_blocked(1));
  auto queued = connect();
  ASSERT_TRUE(queued->send("POST /slow HTTP/1.1\r\n\r\n"));
  auto refused = testing::request_once(server_->port(), "POST /slow HTTP/1.1\r\n\r\n");
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("too many requests in progress"), std::string::npos);
  handler_.release();
  EXPECT_TRUE(first->read_response());
  EXPECT_TRUE(queued->read_response());
}

TEST_F(HttpServerTest, StopReturnsPromptlyWithClientsConnectedAndHandlersBlocked) {
  start();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 10; ++i) idle.push_back(connect());
  auto partial = connect();
  ASSERT_TRUE(partial->send("GET /fa"));
  auto slow = connect();
  ASSERT_TRUE(slow->send("POST /slow HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(handler_.wait_blocked(1));
  auto begin = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(1000));
  EXPECT_EQ(server_->open_connections(), 0u);
  bool closed = false;
  idle[0]->read_until_close(Duration(1000), &closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, StartFailsWithAClearErrorWhenThePortIsTaken) {
  start();
  HttpServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(server_->port());
  HttpServer second(options, handler_);
  Status started = second.start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("restapi.listen 127.0.0.1:"), std::string::npos);
}

// The REST API over the server: the exact bytes HAProxy and confd read.
TEST(RestApiOverHttp, HeadAndOptionsGetOnlyTheStatusLine) {
  ManualClock clock;
  SnapshotHolder snapshots;
  snapshots.publish(std::make_shared<model::StatusSnapshot>(testing::leader_snapshot(clock.now())));
  RealWaiter waiter;
  RestApi api({}, snapshots, [](model::Command) { return false; }, clock, waiter);
  auto server = testing::start_server({}, api);
  ASSERT_TRUE(server);
  struct Case {
    const char* request;
    const char* bytes;
  };
  for (const Case& c : {Case{"OPTIONS / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n"},
                        Case{"HEAD /primary HTTP/1.1\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n"},
                        Case{"HEAD /replica HTTP/1.1\r\n\r\n", "HTTP/1.0 503 Service Unavailable\r\n\r\n"},
                        Case{"GET /liveness HTTP/1.1\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\n"}}) {
    auto client = RawClient::connect(server->port());
    ASSERT_TRUE(client && client->send(c.request));
    bool closed = false;
    EXPECT_EQ(client->read_until_close(Duration(2000), &closed), c.bytes) << c.request;
    EXPECT_TRUE(closed);
  }
  auto json = testing::request_once(server->port(), "GET /patroni HTTP/1.1\r\n\r\n");
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(json.headers["content-type"], "application/json");
  EXPECT_EQ(json.body.substr(0, 21), "{\"state\": \"running\", ");
  server->stop();
}

}  // namespace
}  // namespace pghalo::api
