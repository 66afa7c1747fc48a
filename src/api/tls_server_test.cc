// HTTPS on 127.0.0.1 with certificates made by lab/make-certs.sh: plain TLS, verify_client
// required/optional with and without a client certificate (and what the REST API then allows),
// encrypted keys, certificate reload, and clear errors for bad material.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "api/http_server.h"
#include "api/rest_api.h"
#include "api/testing/http_client.h"
#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

namespace fs = std::filesystem;
using testing::RawClient;
using testing::TlsClientOptions;

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "pghalo-tls-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  return made ? fs::path(made) : fs::path();
}

bool make_certs(const fs::path& dir) {
  std::string command = std::string(PGHALO_SOURCE_DIR "/lab/make-certs.sh ") + dir.string() +
                        " --server api=127.0.0.1 --client c1 >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(make_temp_dir());
    ok_ = !dir_->empty() && make_certs(*dir_);
    if (ok_) {
      std::string encrypt = "openssl pkey -in " + (*dir_ / "api.key").string() +
                            " -aes256 -passout pass:hunter2 -out " +
                            (*dir_ / "api-encrypted.key").string() + " 2>/dev/null";
      ok_ = std::system(encrypt.c_str()) == 0;
    }
  }
  static void TearDownTestSuite() {
    if (dir_ && !dir_->empty()) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "could not make certificates with lab/make-certs.sh";
    snapshots_.publish(
        std::make_shared<model::StatusSnapshot>(testing::leader_snapshot(clock_.now())));
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  static std::string file(const char* name) { return (*dir_ / name).string(); }
  TlsOptions tls(const char* verify_client = "none") {
    TlsOptions options;
    options.certfile = file("api.crt");
    options.keyfile = file("api.key");
    options.cafile = file("ca.crt");
    options.verify_client = verify_client;
    return options;
  }
  void start(TlsOptions options) {
    HttpServerOptions server_options;
    server_options.tls = std::move(options);
    rest_options_.access.tls = true;
    rest_options_.access.verify_client = server_options.tls->verify_client;
    api_ = std::make_unique<RestApi>(rest_options_, snapshots_,
                                     [this](model::Command c) {
                                       c.reply->set_value({202, "reload scheduled", false});
                                       return true;
                                     },
                                     clock_, waiter_);
    server_ = testing::start_server(server_options, *api_);
    ASSERT_TRUE(server_);
  }
  TlsClientOptions client(bool with_certificate) {
    TlsClientOptions options;
    options.cafile = file("ca.crt");
    if (with_certificate) {
      options.certfile = file("c1.crt");
      options.keyfile = file("c1.key");
    }
    return options;
  }

  static inline fs::path* dir_ = nullptr;
  static inline bool ok_ = false;
  ManualClock clock_;
  SnapshotHolder snapshots_;
  RealWaiter waiter_;
  RestApiOptions rest_options_;
  std::unique_ptr<RestApi> api_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsServerTest, ServesHealthChecksOverTls) {
  start(tls());
  auto options = client(false);
  auto response = testing::request_once(server_->port(), "GET /primary HTTP/1.1\r\n\r\n", &options);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.substr(0, 21), "{\"state\": \"running\", ");
  // Plain HTTP on the TLS port fails the handshake and gets no answer.
  EXPECT_EQ(testing::request_once(server_->port(), "GET / HTTP/1.1\r\n\r\n").status, 0);
}

TEST_F(TlsServerTest, RequiredClientCertificateRejectsHandshakesWithoutOne) {
  start(tls("required"));
  auto without = client(false);
  EXPECT_FALSE(RawClient::connect(server_->port(), Duration(2000), &without));
  auto with = client(true);
  EXPECT_EQ(testing::request_once(server_->port(), "GET /patroni HTTP/1.1\r\n\r\n", &with).status,
            200);
  EXPECT_EQ(testing::request_once(server_->port(), "POST /reload HTTP/1.1\r\n\r\n", &with).status,
            202);
}

TEST_F(TlsServerTest, OptionalClientCertificateGuardsOnlyUnsafeMethods) {
  start(tls("optional"));
  auto without = client(false);
  EXPECT_EQ(testing::request_once(server_->port(), "GET /patroni HTTP/1.1\r\n\r\n", &without).status,
            200);
  auto refused = testing::request_once(server_->port(), "POST /reload HTTP/1.1\r\n\r\n", &without);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body, "client certificate required");
  auto with = client(true);
  EXPECT_EQ(testing::request_once(server_->port(), "POST /reload HTTP/1.1\r\n\r\n", &with).status,
            202);
}

TEST_F(TlsServerTest, LoadsAPasswordProtectedKey) {
  auto options = tls();
  options.keyfile = file("api-encrypted.key");
  options.keyfile_password = "hunter2";
  start(options);
  auto c = client(false);
  EXPECT_EQ(testing::request_once(server_->port(), "GET / HTTP/1.1\r\n\r\n", &c).status, 200);
}

TEST_F(TlsServerTest, ReportsBadTlsMaterialByName) {
  struct Case {
    TlsOptions options;
    const char* message_part;
  };
  auto wrong_password = tls();
  wrong_password.keyfile = file("api-encrypted.key");
  wrong_password.keyfile_password = "wrong";
  auto missing_cert = tls();
  missing_cert.certfile = file("nope.crt");
  auto mismatched = tls();
  mismatched.keyfile = file("c1.key");
  auto bad_mode = tls("sometimes");
  for (const auto& c : {Case{wrong_password, "cannot load restapi.keyfile"},
                        Case{missing_cert, "cannot load restapi.certfile"},
                        Case{mismatched, "does not match the certificate"},
                        Case{bad_mode, "restapi.verify_client must be none, optional or required"}}) {
    auto built = build_server_context(c.options);
    ASSERT_FALSE(built.ok()) << c.message_part;
    EXPECT_NE(built.error().message.find(c.message_part), std::string::npos)
        << built.error().message;
  }
}

TEST_F(TlsServerTest, ReloadServesTheNewCertificateToNewConnections) {
  fs::path second = make_temp_dir();
  ASSERT_TRUE(make_certs(second));
  fs::path live = make_temp_dir();
  fs::copy_file(file("api.crt"), live / "api.crt");
  fs::copy_file(file("api.key"), live / "api.key");
  auto options = tls();
  options.certfile = (live / "api.crt").string();
  options.keyfile = (live / "api.key").string();
  options.cafile.clear();
  start(options);
  TlsClientOptions plain;
  auto before = RawClient::connect(server_->port(), Duration(2000), &plain);
  ASSERT_TRUE(before);
  std::string old_serial = before->server_certificate_serial();

  fs::copy_file(second / "api.crt", live / "api.crt", fs::copy_options::overwrite_existing);
  fs::copy_file(second / "api.key", live / "api.key", fs::copy_options::overwrite_existing);
  ASSERT_TRUE(server_->reload_tls().ok());
  auto after = RawClient::connect(server_->port(), Duration(2000), &plain);
  ASSERT_TRUE(after);
  EXPECT_NE(after->server_certificate_serial(), old_serial);
  // The connection opened before the reload still works.
  ASSERT_TRUE(before->send("GET /health HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(before->read_response()->status, 200);

  fs::resize_file(live / "api.key", 10);  // a broken key keeps the old context in service
  EXPECT_FALSE(server_->reload_tls().ok());
  EXPECT_TRUE(RawClient::connect(server_->port(), Duration(2000), &plain));
  fs::remove_all(second);
  fs::remove_all(live);
}

}  // namespace
}  // namespace pghalo::api
