// The etcd3/etcd section in every form Patroni accepts, and the warnings about the machine and
// the network (bin_dir, loopback connect addresses).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using testing::dump;
using testing::summary;

// minimal_yaml() without its etcd3 section, so each case supplies one.
std::string without_etcd() {
  std::string yaml = testing::minimal_yaml();
  std::string section = "etcd3:\n  hosts: 198.18.0.20:2379\n";
  return yaml.replace(yaml.find(section), section.size(), "");
}

struct EndpointCase {
  const char* section;
  std::vector<std::string> hosts;
  const char* protocol;
};

void PrintTo(const EndpointCase& c, std::ostream* os) { *os << c.section; }

class EtcdEndpointTest : public ::testing::TestWithParam<EndpointCase> {};

TEST_P(EtcdEndpointTest, IsReadAsHostPortList) {
  LoadResult result = testing::parse(without_etcd() + GetParam().section);
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->etcd.hosts, GetParam().hosts);
  EXPECT_EQ(result.config->etcd.protocol, GetParam().protocol);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, EtcdEndpointTest,
    ::testing::Values(
        EndpointCase{"etcd3:\n  hosts: [a:1, b]\n", {"a:1", "b:2379"}, "http"},
        EndpointCase{"etcd3:\n  hosts: 'a:1, b'\n  port: 2381\n", {"a:1", "b:2381"}, "http"},
        EndpointCase{"etcd3:\n  host: etcd.local\n", {"etcd.local:2379"}, "http"},
        EndpointCase{
            "etcd3:\n  host: etcd.local:2400\n  protocol: https\n", {"etcd.local:2400"}, "https"},
        EndpointCase{"etcd3:\n  url: https://etcd.local:2400/v3\n", {"etcd.local:2400"}, "https"},
        EndpointCase{"etcd3:\n  proxy: http://proxy:8080\n", {"proxy:8080"}, "http"}));

TEST(EtcdSectionTest, UrlCarriesCredentials) {
  LoadResult result =
      testing::parse(without_etcd() + "etcd3:\n  url: https://root:pw@etcd.local\n");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->etcd.username, "root");
  EXPECT_EQ(result.config->etcd.password, "pw");
  EXPECT_EQ(result.config->etcd.hosts, (std::vector<std::string>{"etcd.local:2379"}));
}

TEST(EtcdSectionTest, AProxyIsNeverReplacedByTheMemberList) {
  LoadResult result = testing::parse(without_etcd() + "etcd3:\n  proxy: http://proxy:8080\n");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.config->etcd.use_proxies);
}

TEST(EtcdSectionTest, BothSectionsUseEtcd3AndSayWhy) {
  LoadResult result = testing::parse(testing::minimal_yaml() + "etcd:\n  hosts: 198.18.0.99\n");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_FALSE(result.config->etcd.from_v2_section);
  EXPECT_EQ(result.config->etcd.hosts, (std::vector<std::string>{"198.18.0.20:2379"}));
  ASSERT_EQ(summary(result.diagnostics), (std::vector<std::string>{"warning etcd"}));
  EXPECT_NE(result.diagnostics[0].message.find("sorts first"), std::string::npos);
}

struct BadEndpointCase {
  const char* section;
  const char* key;
  const char* message_part;
};

void PrintTo(const BadEndpointCase& c, std::ostream* os) { *os << c.section; }

class EtcdBadEndpointTest : public ::testing::TestWithParam<BadEndpointCase> {};

TEST_P(EtcdBadEndpointTest, IsAnError) {
  LoadResult result = testing::parse(without_etcd() + GetParam().section);
  EXPECT_FALSE(result.ok());
  std::vector<Diagnostic> errors = testing::errors(result);
  ASSERT_EQ(errors.size(), 1u) << dump(result.diagnostics);
  EXPECT_EQ(errors[0].key, GetParam().key);
  EXPECT_NE(errors[0].message.find(GetParam().message_part), std::string::npos)
      << errors[0].to_string();
}

INSTANTIATE_TEST_SUITE_P(
    Forms, EtcdBadEndpointTest,
    ::testing::Values(
        BadEndpointCase{"etcd3:\n  srv: example.com\n", "etcd3", "DNS SRV discovery"},
        BadEndpointCase{"etcd3:\n  hosts: []\n", "etcd3.hosts", "lists no endpoint"},
        BadEndpointCase{"etcd3:\n  hosts: https://a:2379\n", "etcd3.hosts", "without a scheme"},
        BadEndpointCase{"etcd3:\n  hosts: a:99999\n", "etcd3.hosts", "outside 1-65535"},
        BadEndpointCase{"etcd3:\n  host: a\n  protocol: grpc\n", "etcd3.protocol",
                        "must be http or https"},
        BadEndpointCase{"etcd3:\n", "etcd3", "has no endpoint"}));

TEST(HostChecksTest, LoopbackConnectAddressesAreWarningsNotErrors) {
  std::string yaml = testing::minimal_yaml();
  yaml.replace(yaml.find("198.18.0.1:8008"), 15, "127.0.0.1:8008");
  yaml.replace(yaml.find("198.18.0.1:5432"), 15, "localhost:5432");
  LoadResult result = testing::parse(yaml);
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(summary(result.diagnostics),
            (std::vector<std::string>{"warning restapi.connect_address",
                                      "warning postgresql.connect_address"}));
  EXPECT_EQ(result.diagnostics[0].message.find("'127.0.0.1:8008' is a loopback or wildcard "
                                               "address: other machines cannot reach"),
            0u)
      << result.diagnostics[0].message;
}

TEST(HostChecksTest, ABinDirWithoutPgCtlIsAWarning) {
  HostFacts host = testing::fake_host();
  host.is_directory = [](const std::string&) { return true; };
  LoadResult result = parse_local_config(testing::minimal_yaml() + "  bin_dir: /opt/pg/bin\n",
                                         "test.yml", {}, host);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(summary(result.diagnostics), (std::vector<std::string>{"warning postgresql.bin_dir"}));
  EXPECT_NE(result.diagnostics[0].message.find("/opt/pg/bin has no executable pg_ctl"),
            std::string::npos);
}

TEST(HostChecksTest, AnInstalledBinDirIsSilent) {
  LoadResult result =
      testing::parse(testing::minimal_yaml() + "  bin_dir: /usr/lib/postgresql/15/bin\n");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.diagnostics.empty()) << dump(result.diagnostics);
}

}  // namespace
}  // namespace pghalo::config
