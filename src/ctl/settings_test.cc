#include "ctl/settings.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace pghalo::ctl {
namespace {

config::HostFacts test_host() {
  config::HostFacts host;
  host.is_directory = [](const std::string&) { return true; };
  host.is_executable_file = [](const std::string&) { return true; };
  return host;
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    path = "/tmp/pghaloctl-settings-" + std::to_string(::getpid()) + "-" +
           std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".yml";
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

Result<CtlSettings> load(const std::string& path, std::map<std::string, std::string> env = {},
                         const std::string& dcs_url = "") {
  GlobalOptions options;
  options.config_file = path;
  options.dcs_url = dcs_url;
  env.emplace("HOME", "/nonexistent");
  return load_settings(options, env, test_host());
}

TEST(Settings, AClientFileWithOnlyScopeAndEtcdIsEnough) {
  TempFile file("scope: postgres\nnamespace: /db/\netcd3:\n  hosts: 127.0.0.1:2379,127.0.0.1:2380\n");
  auto s = load(file.path);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->scope, "postgres");
  EXPECT_EQ(s->namespace_, "/db/");
  EXPECT_EQ(s->etcd.hosts, (std::vector<std::string>{"127.0.0.1:2379", "127.0.0.1:2380"}));
  EXPECT_FALSE(s->member_name.has_value());
  EXPECT_FALSE(s->superuser.has_value());
}

TEST(Settings, ANodeFileGivesRestAuthTlsAndPostgresUsers) {
  TempFile file(R"(scope: postgres
name: node1
restapi:
  listen: 127.0.0.1:8008
  connect_address: 127.0.0.1:8008
  authentication: {username: admin, password: secret}
  cafile: /etc/ca.crt
ctl:
  certfile: /etc/ctl.crt
  keyfile: /etc/ctl.key
etcd3:
  hosts: [127.0.0.1:2379]
postgresql:
  listen: 127.0.0.1:5432
  connect_address: 127.0.0.1:5432
  data_dir: /var/lib/postgresql/15/main
  bin_dir: /usr/lib/postgresql/15/bin
  authentication:
    superuser: {username: postgres, password: pw}
    replication: {username: replicator, password: rep}
)");
  auto s = load(file.path);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->member_name, "node1");
  EXPECT_EQ(s->rest.username, "admin");
  EXPECT_EQ(s->rest.password, "secret");
  EXPECT_EQ(s->rest.cacert, "/etc/ca.crt");
  EXPECT_EQ(s->rest.certfile, "/etc/ctl.crt");
  EXPECT_EQ(s->replication->username, "replicator");
  EXPECT_EQ(s->superuser->password, "pw");
  EXPECT_EQ(s->bin_dir, "/usr/lib/postgresql/15/bin");
}

TEST(Settings, DcsUrlReplacesTheHostsAndMayNameTheNamespace) {
  TempFile file("scope: postgres\netcd3:\n  host: 10.0.0.1:2379\n");
  auto s = load(file.path, {}, "etcd3://127.0.0.1:20011,127.0.0.1:20012/db");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->etcd.hosts, (std::vector<std::string>{"127.0.0.1:20011", "127.0.0.1:20012"}));
  EXPECT_EQ(s->namespace_, "/db");
}

TEST(Settings, DcsUrlAloneWorksWithoutAnyFile) {
  auto s = load("", {}, "127.0.0.1");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->etcd.hosts, std::vector<std::string>{"127.0.0.1:2379"});
  EXPECT_FALSE(s->scope.has_value());
}

TEST(Settings, TheEnvironmentCanHoldTheWholeConfiguration) {
  auto s = load("", {{"PATRONI_SCOPE", "envcluster"}, {"PATRONI_ETCD3_HOSTS", "127.0.0.1:2379"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->scope, "envcluster");
  auto whole = load("", {{"PATRONI_CONFIGURATION", "scope: c2\netcd3: {host: 127.0.0.1:2379}\n"}});
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->scope, "c2");
}

TEST(Settings, NoEtcdAnywhereIsABadInvocationWithAHint) {
  auto s = load("");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("--dcs-url"), std::string::npos) << s.error().message;
}

TEST(Settings, AMissingFileIsNamed) {
  auto s = load("/nonexistent/pghalo.yml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("/nonexistent/pghalo.yml does not exist"), std::string::npos);
}

TEST(Settings, RealMistakesInTheFileAreReportedWithTheirLine) {
  TempFile file("scope: postgres\netcd3:\n  hosts: 127.0.0.1:2379\n  protocol: ftp\n");
  auto s = load(file.path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(":4:"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("protocol"), std::string::npos);
}

TEST(Settings, DcsUrlForms) {
  EXPECT_EQ(parse_dcs_url("etcd://h1:1,h2")->hosts, (std::vector<std::string>{"h1:1", "h2:2379"}));
  EXPECT_EQ(parse_dcs_url("https://h:2379")->protocol, "https");
  EXPECT_EQ(parse_dcs_url("[::1]:2379")->hosts, std::vector<std::string>{"[::1]:2379"});
  EXPECT_EQ(parse_dcs_url("[::1]")->hosts, std::vector<std::string>{"[::1]:2379"});
  auto consul = parse_dcs_url("consul://h:8500");
  ASSERT_FALSE(consul.ok());
  EXPECT_NE(consul.error().message.find("etcd3://"), std::string::npos);
  EXPECT_FALSE(parse_dcs_url("etcd3://").ok());
}

}  // namespace
}  // namespace pghalo::ctl
