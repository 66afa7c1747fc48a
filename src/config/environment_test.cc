// PATRONI_* variables over the file (spec 4.4).
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using testing::dump;
using testing::minimal_yaml;
using testing::parse;

TEST(EnvironmentTest, IdentityAndAddressesOverrideTheFile) {
  LoadResult result = parse(minimal_yaml(), {{"PATRONI_NAME", "from-env"},
                                             {"PATRONI_SCOPE", "env-scope"},
                                             {"PATRONI_NAMESPACE", "/ns"},
                                             {"PATRONI_RESTAPI_CONNECT_ADDRESS", "198.18.0.9:8008"},
                                             {"PATRONI_POSTGRESQL_DATA_DIR", "/data/env"}});
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->name, "from-env");
  EXPECT_EQ(result.config->base_path(), "/ns/env-scope");
  EXPECT_EQ(result.config->restapi.connect_address, "198.18.0.9:8008");
  EXPECT_EQ(result.config->postgresql.data_dir, "/data/env");
}

TEST(EnvironmentTest, EtcdHostsAcceptACommaStringOrAYamlList) {
  for (const char* hosts : {"198.18.0.30:2379,198.18.0.31:2379", "[198.18.0.30:2379, 198.18.0.31]",
                            "- 198.18.0.30:2379\n- 198.18.0.31:2379"}) {
    LoadResult result = parse(minimal_yaml(), {{"PATRONI_ETCD3_HOSTS", hosts},
                                               {"PATRONI_ETCD3_PROTOCOL", "https"},
                                               {"PATRONI_ETCD3_USERNAME", "root"}});
    ASSERT_TRUE(result.ok()) << hosts << "\n" << dump(result.diagnostics);
    EXPECT_EQ(result.config->etcd.hosts,
              (std::vector<std::string>{"198.18.0.30:2379", "198.18.0.31:2379"}))
        << hosts;
    EXPECT_EQ(result.config->etcd.protocol, "https");
    EXPECT_EQ(result.config->etcd.username, "root");
  }
}

TEST(EnvironmentTest, UserCredentialsAndSslOptionsFillAuthentication) {
  LoadResult result = parse(minimal_yaml(), {{"PATRONI_REPLICATION_PASSWORD", "env-secret"},
                                             {"PATRONI_REPLICATION_SSLMODE", "require"},
                                             {"PATRONI_SUPERUSER_USERNAME", "admin"},
                                             {"PATRONI_REWIND_USERNAME", "rewinder"},
                                             {"PATRONI_RESTAPI_USERNAME", "api"},
                                             {"PATRONI_RESTAPI_PASSWORD", "api-secret"}});
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  const PostgresqlConfig& pg = result.config->postgresql;
  EXPECT_EQ(pg.replication.username, "replicator");  // from the file
  EXPECT_EQ(pg.replication.password, "env-secret");
  EXPECT_EQ(pg.replication.options.at("sslmode"), "require");
  EXPECT_EQ(pg.superuser.username, "admin");
  ASSERT_TRUE(pg.rewind.has_value());
  EXPECT_EQ(pg.rewind->username, "rewinder");
  ASSERT_TRUE(result.config->restapi.authentication.has_value());
  EXPECT_EQ(result.config->restapi.authentication->password, "api-secret");
  EXPECT_TRUE(result.config->bootstrap.users.empty());
}

TEST(EnvironmentTest, OtherPasswordsBecomeBootstrapUsers) {
  LoadResult result = parse(minimal_yaml(), {{"PATRONI_admin_PASSWORD", "a"},
                                             {"PATRONI_admin_OPTIONS", "createdb,createrole"}});
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  const auto& users = result.config->bootstrap.users;
  ASSERT_EQ(users.count("admin"), 1u);
  EXPECT_EQ(users.at("admin").password, "a");
  EXPECT_EQ(users.at("admin").options, (std::vector<std::string>{"createdb", "createrole"}));
}

TEST(EnvironmentTest, ListsMapsAndBooleansAreParsedPatroniStyle) {
  LoadResult result =
      parse(minimal_yaml(), {{"PATRONI_RESTAPI_ALLOWLIST", "198.18.0.0/15, 10.0.0.1"},
                             {"PATRONI_RESTAPI_HTTP_EXTRA_HEADERS", "X-A: 1, X-B: two"},
                             {"PATRONI_RESTAPI_ALLOWLIST_INCLUDE_MEMBERS", "on"},
                             {"PATRONI_CTL_INSECURE", "yes"},
                             {"PATRONI_LOGLEVEL", "DEBUG"}});
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  const RestApiConfig& api = result.config->restapi;
  EXPECT_EQ(api.allowlist, (std::vector<std::string>{"198.18.0.0/15", "10.0.0.1"}));
  EXPECT_EQ(api.http_extra_headers,
            (std::map<std::string, std::string>{{"X-A", "1"}, {"X-B", "two"}}));
  EXPECT_TRUE(api.allowlist_include_members);
  EXPECT_TRUE(result.config->ctl.insecure);
  EXPECT_EQ(result.config->log.level, "DEBUG");
}

TEST(EnvironmentTest, TheNewLogVariableWinsOverItsLegacySpelling) {
  LoadResult result =
      parse(minimal_yaml(), {{"PATRONI_LOGLEVEL", "DEBUG"}, {"PATRONI_LOG_LEVEL", "ERROR"}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->log.level, "ERROR");
}

TEST(EnvironmentTest, ABadValueIsReportedWithItsVariable) {
  LoadResult result = parse(minimal_yaml(), {{"PATRONI_CTL_INSECURE", "sometimes"}});
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(testing::errors(result).size(), 1u) << dump(result.diagnostics);
  EXPECT_EQ(testing::errors(result)[0].to_string(),
            "ctl.insecure: expected a boolean (true/false, on/off, yes/no), got 'sometimes' "
            "(from PATRONI_CTL_INSECURE)");
}

TEST(EnvironmentTest, EnvironmentAloneCanBeTheWholeConfiguration) {
  std::map<std::string, std::string> env = {
      {"PATRONI_NAME", "n1"},
      {"PATRONI_SCOPE", "s"},
      {"PATRONI_RESTAPI_LISTEN", "0.0.0.0:8008"},
      {"PATRONI_RESTAPI_CONNECT_ADDRESS", "198.18.0.1:8008"},
      {"PATRONI_ETCD3_HOST", "198.18.0.20:2379"},
      {"PATRONI_POSTGRESQL_LISTEN", "0.0.0.0:5432"},
      {"PATRONI_POSTGRESQL_CONNECT_ADDRESS", "198.18.0.1:5432"},
      {"PATRONI_POSTGRESQL_DATA_DIR", "/data"},
      {"PATRONI_SUPERUSER_USERNAME", "postgres"},
      {"PATRONI_REPLICATION_USERNAME", "replicator"},
      {"PATRONI_REPLICATION_PASSWORD", "secret"},
  };
  LoadResult result = load_local_config("", env, testing::fake_host());
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->name, "n1");
  EXPECT_EQ(result.config->source, "environment");
  EXPECT_EQ(result.config->etcd.hosts, (std::vector<std::string>{"198.18.0.20:2379"}));
}

TEST(EnvironmentTest, OtherDcsVariablesCreateTheirSectionWithAWarning) {
  LoadResult result = parse(minimal_yaml(), {{"PATRONI_CONSUL_HOST", "127.0.0.1:8500"}});
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(testing::summary(result.diagnostics), (std::vector<std::string>{"warning consul"}));
}

}  // namespace
}  // namespace pghalo::config
