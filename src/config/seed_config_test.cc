// The user's three seed node files load as written (tests/data/seed), with exactly the
// diagnostics docs/configuration.md promises for them.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using testing::dump;
using testing::load;
using testing::summary;

TEST(SeedConfigTest, NodeOneLoadsWithExactlyTheExpectedDiagnostics) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(summary(result.diagnostics),
            (std::vector<std::string>{
                "notice etcd",
                "warning bootstrap.dcs.retry_timeout",
                "notice bootstrap.dcs.postgresql.parameters.wal_keep_segments",
                "notice postgresql.authentication",
                "warning postgresql.bin_dir",
            }))
      << dump(result.diagnostics);
}

TEST(SeedConfigTest, NodeOneDiagnosticsPointAtTheirLines) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_EQ(result.diagnostics.size(), 5u);
  std::vector<std::pair<int, int>> at;
  for (const auto& d : result.diagnostics) at.emplace_back(d.line, d.column);
  EXPECT_EQ(at, (std::vector<std::pair<int, int>>{{9, 1}, {19, 20}, {27, 9}, {42, 1}, {46, 12}}));
  EXPECT_EQ(result.diagnostics[0].file, testing::data_path("seed/postgresql-node1.yml"));
}

TEST(SeedConfigTest, NodeOneTimingWarningNamesTheRuleAndTheLoweredValue) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_GE(result.diagnostics.size(), 2u);
  const std::string& message = result.diagnostics[1].message;
  EXPECT_NE(message.find("loop_wait + 2*retry_timeout <= ttl"), std::string::npos) << message;
  EXPECT_NE(message.find("running with retry_timeout 10"), std::string::npos) << message;
}

TEST(SeedConfigTest, NodeOneDerivesAuthenticationFromBootstrapUsers) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_TRUE(result.ok());
  const PostgresqlConfig& pg = result.config->postgresql;
  EXPECT_TRUE(pg.authentication_derived);
  EXPECT_EQ(pg.replication.username, "replicator");
  EXPECT_EQ(pg.replication.password, "secure_replication_password");
  EXPECT_EQ(pg.superuser.username, "postgres");
  EXPECT_FALSE(pg.superuser.password.has_value());
  EXPECT_TRUE(pg.use_unix_socket);
}

TEST(SeedConfigTest, NodeOneKeepsTheEtcdSectionServedOverV3) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_TRUE(result.ok());
  const EtcdConfig& etcd = result.config->etcd;
  EXPECT_TRUE(etcd.from_v2_section);
  EXPECT_EQ(etcd.hosts,
            (std::vector<std::string>{"10.0.1.20:2379", "10.0.1.21:2379", "10.0.1.22:2379"}));
  EXPECT_EQ(etcd.protocol, "https");
  EXPECT_EQ(etcd.cacert, "/etc/patroni/etcd-ca.crt");
  EXPECT_EQ(etcd.cert, "/etc/patroni/etcd-client.crt");
  EXPECT_EQ(etcd.key, "/etc/patroni/etcd-client.key");
}

TEST(SeedConfigTest, NodeOneReadsIdentityTagsAndParameters) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_TRUE(result.ok());
  const Config& config = *result.config;
  EXPECT_EQ(config.name, "postgresql-node1");
  EXPECT_EQ(config.scope, "postgres");
  EXPECT_EQ(config.base_path(), "/db/postgres");
  EXPECT_EQ(config.restapi.connect_address, "10.0.1.10:8008");
  EXPECT_EQ(config.tags, model::Tags{});
  EXPECT_EQ(config.tags.to_json(), nlohmann::json::object());
  const auto& parameters = config.postgresql.parameters;
  EXPECT_EQ(parameters.at("max_connections"), "200");
  EXPECT_EQ(parameters.at("hot_standby"), "on");
  EXPECT_EQ(parameters.at("checkpoint_completion_target"), "0.9");
  EXPECT_EQ(parameters.at("shared_buffers"), "4GB");
  EXPECT_EQ(config.bootstrap.initdb_args,
            (std::vector<std::string>{"--encoding=UTF8", "--data-checksums"}));
  EXPECT_EQ(config.postgresql.pgpass, "/var/lib/postgresql/.pgpass");
  EXPECT_EQ(config.postgresql.config_dir, "/var/lib/postgresql/16/main");
}

TEST(SeedConfigTest, NodeOneLowersRetryTimeoutWithoutRewritingBootstrapDcs) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_TRUE(result.ok());
  const nlohmann::json& dcs = result.config->bootstrap.dcs;
  EXPECT_EQ(dcs["retry_timeout"], 30);  // what the first node writes to /config, as written
  EXPECT_EQ(dcs["postgresql"]["parameters"]["hot_standby"], "on");
  EXPECT_EQ(dcs["postgresql"]["parameters"]["wal_keep_segments"], 8);
  std::vector<Diagnostic> diagnostics;
  DynamicConfig dynamic = parse_dynamic_config(dcs, &diagnostics);
  EXPECT_EQ(dynamic.ttl, 30);
  EXPECT_EQ(dynamic.loop_wait, 10);
  EXPECT_EQ(dynamic.retry_timeout, 10);
  EXPECT_TRUE(dynamic.use_pg_rewind);
  ASSERT_EQ(diagnostics.size(), 1u) << dump(diagnostics);
  EXPECT_EQ(diagnostics[0].key, "retry_timeout");
}

TEST(SeedConfigTest, NodeOneRunsPostgresql15WithWalKeepSize) {
  LoadResult result = load("seed/postgresql-node1.yml");
  ASSERT_TRUE(result.ok());
  DynamicConfig dynamic = parse_dynamic_config(result.config->bootstrap.dcs, nullptr);
  auto parameters = effective_parameters(*result.config, dynamic, 15);
  EXPECT_EQ(parameters.at("wal_keep_size"), "128MB");
  EXPECT_EQ(parameters.count("wal_keep_segments"), 0u);
  // max_connections is a command-line GUC: Patroni ignores the local 200, so the default holds.
  EXPECT_EQ(parameters.at("max_connections"), "100");
  EXPECT_EQ(parameters.at("listen_addresses"), "10.0.1.10");
  EXPECT_EQ(parameters.at("port"), "5432");
  EXPECT_EQ(parameters.at("cluster_name"), "postgres");
}

class SeedWithoutBootstrapTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SeedWithoutBootstrapTest, LoadsButWarnsThatTheReplicationUserIsUnknown) {
  LoadResult result = load("seed/" + GetParam());
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(
      summary(result.diagnostics),
      (std::vector<std::string>{"notice etcd", "notice postgresql.authentication",
                                "warning postgresql.authentication", "warning postgresql.bin_dir"}))
      << dump(result.diagnostics);
  const std::string& warning = result.diagnostics[2].message;
  EXPECT_NE(warning.find("cannot be derived"), std::string::npos) << warning;
  EXPECT_NE(warning.find("pgpass"), std::string::npos) << warning;
  EXPECT_NE(warning.find("PATRONI_REPLICATION_USERNAME"), std::string::npos) << warning;
  EXPECT_FALSE(result.config->has_bootstrap_section);
  EXPECT_EQ(result.config->postgresql.replication.username, "replicator");
  EXPECT_FALSE(result.config->postgresql.replication.password.has_value());
}

INSTANTIATE_TEST_SUITE_P(NodesTwoAndThree, SeedWithoutBootstrapTest,
                         ::testing::Values("postgresql-node2.yml", "postgresql-node3.yml"));

TEST(SeedConfigTest, ReplicationCredentialsFromTheEnvironmentSilenceTheWarning) {
  LoadResult result =
      load("seed/postgresql-node2.yml", {{"PATRONI_REPLICATION_USERNAME", "replicator"},
                                         {"PATRONI_REPLICATION_PASSWORD", "from-env"}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(testing::warnings(result).size(), 1u) << dump(result.diagnostics);  // bin_dir only
  EXPECT_EQ(result.config->postgresql.replication.password, "from-env");
}

}  // namespace
}  // namespace pghalo::config
