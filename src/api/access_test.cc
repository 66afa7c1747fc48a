#include "api/access.h"

#include <gtest/gtest.h>

#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

Request from(const std::string& ip, std::optional<std::string> authorization = std::nullopt) {
  Request r;
  r.method = "POST";
  r.client_ip = ip;
  if (authorization) r.headers.emplace_back("authorization", *authorization);
  return r;
}

struct NetRow {
  const char* network;
  const char* ip;
  bool inside;
};

TEST(IpNetwork, MatchesIpv4AndIpv6Prefixes) {
  for (const auto& row : std::vector<NetRow>{
           {"10.0.0.0/8", "10.200.1.1", true},
           {"10.0.0.0/8", "11.0.0.1", false},
           {"10.0.1.0/24", "10.0.1.255", true},
           {"10.0.1.7", "10.0.1.7", true},
           {"10.0.1.7", "10.0.1.8", false},
           {"0.0.0.0/0", "192.0.2.1", true},
           {"2001:db8::/32", "2001:db8:1::5", true},
           {"2001:db8::/32", "2001:db9::5", false},
           {"10.0.0.0/8", "::ffff:10.1.2.3", true},
           {"::1", "::1", true},
       }) {
    auto net = parse_network(row.network);
    auto ip = parse_ip(row.ip);
    ASSERT_TRUE(net && ip) << row.network << " " << row.ip;
    EXPECT_EQ(net->contains(*ip), row.inside) << row.network << " " << row.ip;
  }
  EXPECT_FALSE(parse_network("10.0.0.0/33"));
  EXPECT_FALSE(parse_network("nonsense/8"));
}

TEST(AccessPolicy, AllowsEverythingWithoutRules) {
  AccessPolicy policy{AccessOptions{}};
  EXPECT_FALSE(policy.check(from("192.0.2.1"), nullptr));
}

TEST(AccessPolicy, DeniesAddressesOutsideTheAllowlist) {
  AccessOptions options;
  options.allowlist = {"127.0.0.1", "10.0.0.0/8", "not/a/net"};
  AccessPolicy policy(options);
  EXPECT_FALSE(policy.check(from("127.0.0.1"), nullptr));
  EXPECT_FALSE(policy.check(from("10.9.9.9"), nullptr));
  auto denied = policy.check(from("192.0.2.1"), nullptr);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->body, "Access is denied");
  EXPECT_EQ(policy.warnings().size(), 1u);
}

TEST(AccessPolicy, CanAllowTheHostsOfEveryMembersApiUrl) {
  AccessOptions options;
  options.allowlist_include_members = true;
  AccessPolicy policy(options);
  auto cluster = testing::healthy_cluster();  // members' api_url on 127.0.0.1
  EXPECT_FALSE(policy.check(from("127.0.0.1"), cluster.get()));
  EXPECT_TRUE(policy.check(from("192.0.2.1"), cluster.get()));
  EXPECT_TRUE(policy.check(from("127.0.0.1"), nullptr));
}

TEST(AccessPolicy, RequiresAVerifiedClientCertificateWhenTlsAsksForOne) {
  AccessOptions options;
  options.tls = true;
  options.verify_client = "optional";
  AccessPolicy policy(options);
  auto denied = policy.check(from("127.0.0.1"), nullptr);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->body, "client certificate required");
  Request with_cert = from("127.0.0.1");
  with_cert.client_certificate = true;
  EXPECT_FALSE(policy.check(with_cert, nullptr));
}

struct AuthRow {
  std::optional<std::string> header;
  const char* reason;  // nullptr: allowed
};

TEST(AccessPolicy, ChecksBasicAuthAndAsksForItWithPatronisRealm) {
  AccessOptions options;
  options.username = "patroni";
  options.password = "s3cret";
  AccessPolicy policy(options);
  for (const auto& row : std::vector<AuthRow>{
           {"Basic cGF0cm9uaTpzM2NyZXQ=", nullptr},
           {std::nullopt, "no auth header received"},
           {"Basic cGF0cm9uaTp3cm9uZw==", "not authenticated"},
           {"Bearer cGF0cm9uaTpzM2NyZXQ=", "not authenticated"},
           {"Basic cGF0cm9uaTpzM2NyZXQ", "not authenticated"},
       }) {
    auto denied = policy.check(from("127.0.0.1", row.header), nullptr);
    if (!row.reason) {
      EXPECT_FALSE(denied) << row.header.value_or("<none>");
      continue;
    }
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401);
    EXPECT_EQ(denied->body, row.reason);
    ASSERT_EQ(denied->headers.size(), 1u);
    EXPECT_EQ(denied->headers[0].first, "WWW-Authenticate");
    EXPECT_EQ(denied->headers[0].second, "Basic realm=\"Patroni\"");
  }
}

TEST(ConstantTimeEqual, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace pghalo::api
