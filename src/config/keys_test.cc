// Which keys load: every Patroni key is accepted (implemented, or with one warning each), and a
// config using every section of spec 4.2 loads cleanly into the structs.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/known_keys.h"
#include "config/test_support.h"

namespace pghalo::config {
namespace {

using testing::dump;
using testing::summary;

TEST(KnownKeysTest, PatroniKeysPghaloDoesNotImplementGiveOneWarningEach) {
  LoadResult result = testing::load("configs/not_implemented.yml");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_EQ(summary(result.diagnostics), (std::vector<std::string>{
                                             "warning ttl",
                                             "warning log.dir",
                                             "warning log.file_num",
                                             "warning log.loggers",
                                             "warning restapi.request_queue_size",
                                             "warning etcd3.srv_suffix",
                                             "warning consul",
                                             "warning citus",
                                             "warning watchdog.driver",
                                             "warning bootstrap.restore",
                                             "warning bootstrap.dcs.postgresql.callbacks",
                                             "warning postgresql.krbsrvname",
                                             "warning postgresql.use_slots",
                                             "warning postgresql.wal_g",
                                         }))
      << dump(result.diagnostics);
}

TEST(KnownKeysTest, TheWarningSaysTheKeyIsAcceptedAndIgnored) {
  LoadResult result = testing::load("configs/not_implemented.yml");
  ASSERT_GE(result.diagnostics.size(), 2u);
  EXPECT_NE(result.diagnostics[1].message.find("accepted and ignored"), std::string::npos);
  EXPECT_NE(result.diagnostics[0].message.find("dynamic setting"), std::string::npos);
}

TEST(KnownKeysTest, EveryTableRowIsFoundAgain) {
  for (const auto& key : internal::known_keys()) {
    const internal::KnownKey* found = internal::find_known_key(key.pattern);
    ASSERT_NE(found, nullptr) << key.pattern;
    EXPECT_EQ(found->pattern, key.pattern);
  }
}

TEST(KnownKeysTest, TheV2SectionAndLegacyUserSectionsShareTheirRows) {
  EXPECT_NE(internal::find_known_key("etcd.hosts"), nullptr);
  EXPECT_NE(internal::find_known_key("postgresql.superuser.sslmode"), nullptr);
  EXPECT_NE(internal::find_known_key("postgresql.authentication.rewind.password"), nullptr);
  EXPECT_EQ(internal::find_known_key("etcd.hots"), nullptr);
}

TEST(KnownKeysTest, FreeFormMapsAcceptAnyKey) {
  LoadResult result = testing::parse(testing::minimal_yaml() +
                                     "  parameters:\n    my_extension.setting: 5\n"
                                     "tags:\n  rack: r12\n  weight: 3\n");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  EXPECT_TRUE(result.diagnostics.empty()) << dump(result.diagnostics);
  EXPECT_EQ(result.config->postgresql.parameters.at("my_extension.setting"), "5");
  EXPECT_EQ(result.config->tags.custom.at("rack"), "r12");
  EXPECT_EQ(result.config->tags.custom.at("weight"), 3);
}

TEST(KnownKeysTest, PghaloSectionRefusesKeysThatAreNotOurs) {
  LoadResult result = testing::parse(testing::minimal_yaml() + "pghalo:\n  role_vocab: primary\n");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(summary(result.diagnostics), (std::vector<std::string>{"error pghalo.role_vocab"}));
  EXPECT_NE(result.diagnostics[0].message.find("did you mean 'role_vocabulary'"),
            std::string::npos);
}

TEST(KnownKeysTest, PghaloFenceFileIsReadAndEmptyByDefault) {
  LoadResult plain = testing::parse(testing::minimal_yaml());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.config->fence_file, "");
  LoadResult set = testing::parse(testing::minimal_yaml() + "pghalo:\n  fence_file: /run/pghalo/fence\n");
  ASSERT_TRUE(set.ok()) << dump(set.diagnostics);
  EXPECT_TRUE(set.diagnostics.empty()) << dump(set.diagnostics);
  EXPECT_EQ(set.config->fence_file, "/run/pghalo/fence");
}

TEST(KnownKeysTest, DuplicateKeysKeepTheLastValueWithAWarning) {
  LoadResult result = testing::parse(testing::minimal_yaml() + "scope: again\n");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->scope, "again");
  EXPECT_EQ(summary(result.diagnostics), (std::vector<std::string>{"warning scope"}));
}

class FullConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    result_ = testing::load("configs/full.yml");
    ASSERT_TRUE(result_.ok()) << dump(result_.diagnostics);
  }
  const Config& config() const { return *result_.config; }
  LoadResult result_;
};

TEST_F(FullConfigTest, LoadsWithoutAnyDiagnostic) {
  EXPECT_TRUE(result_.diagnostics.empty()) << dump(result_.diagnostics);
}

TEST_F(FullConfigTest, ReadsIdentityLogAndPghaloSections) {
  EXPECT_EQ(config().name, "node-a");
  EXPECT_EQ(config().base_path(), "/service/batman");
  EXPECT_EQ(config().log.level, "DEBUG");
  EXPECT_EQ(config().log.format, "json");
  EXPECT_EQ(config().role_vocabulary, model::RoleVocabulary::kPrimary);
}

TEST_F(FullConfigTest, ReadsRestapiAndCtl) {
  const RestApiConfig& api = config().restapi;
  EXPECT_EQ(api.listen, "0.0.0.0:8008");
  EXPECT_EQ(api.connect_address, "198.18.0.1:8008");
  ASSERT_TRUE(api.authentication.has_value());
  EXPECT_EQ(api.authentication->username, "patroni");
  EXPECT_EQ(api.verify_client, "optional");
  EXPECT_EQ(api.allowlist, (std::vector<std::string>{"198.18.0.0/15", "127.0.0.1"}));
  EXPECT_TRUE(api.allowlist_include_members);
  EXPECT_EQ(api.http_extra_headers.at("X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(api.keyfile_password, "keypass");
  EXPECT_FALSE(config().ctl.insecure);
  EXPECT_EQ(config().ctl.certfile, "/etc/pghalo/ctl.crt");
  ASSERT_TRUE(config().ctl.authentication.has_value());
}

TEST_F(FullConfigTest, ReadsEtcdEndpointsInEveryForm) {
  const EtcdConfig& etcd = config().etcd;
  EXPECT_FALSE(etcd.from_v2_section);
  EXPECT_EQ(etcd.hosts, (std::vector<std::string>{"198.18.0.20:2379", "198.18.0.21:2379",
                                                  "[2001:db8::22]:2379"}));
  EXPECT_EQ(etcd.protocol, "https");
  EXPECT_EQ(etcd.username, "root");
  EXPECT_EQ(etcd.password, "etcd-secret");
}

TEST_F(FullConfigTest, ReadsBootstrap) {
  const BootstrapConfig& b = config().bootstrap;
  EXPECT_EQ(b.initdb_args,
            (std::vector<std::string>{"--encoding=UTF8", "--data-checksums", "--locale=C.UTF-8"}));
  EXPECT_EQ(b.users.at("admin").options, (std::vector<std::string>{"createrole", "createdb"}));
  EXPECT_EQ(b.post_bootstrap, "/usr/local/bin/post-bootstrap.sh");
  EXPECT_EQ(b.dcs["ttl"], "30");  // verbatim, as Patroni writes it to /config
  EXPECT_EQ(b.dcs["slots"]["permanent_logical"]["plugin"], "pgoutput");
  DynamicConfig dynamic = parse_dynamic_config(b.dcs, nullptr);
  EXPECT_EQ(dynamic.ttl, 30);
  EXPECT_EQ(dynamic.primary_start_timeout, 120);
  EXPECT_TRUE(dynamic.failsafe_mode);
  EXPECT_TRUE(dynamic.check_timeline);
  EXPECT_EQ(dynamic.parameters.at("pg_stat_statements.max"), "10000");
  EXPECT_EQ(dynamic.recovery_conf.at("restore_command"), "cp /archive/%f %p");
}

TEST_F(FullConfigTest, ReadsPostgresql) {
  const PostgresqlConfig& pg = config().postgresql;
  EXPECT_EQ(pg.listen, "198.18.0.1,127.0.0.1:5432");
  EXPECT_EQ(pg.proxy_address, "198.18.0.100:6432");
  EXPECT_EQ(pg.config_dir, "/etc/postgresql/15/main");
  EXPECT_FALSE(pg.authentication_derived);
  EXPECT_EQ(pg.replication.options.at("sslmode"), "verify-full");
  ASSERT_TRUE(pg.rewind.has_value());
  EXPECT_EQ(pg.rewind->username, "rewind_user");
  EXPECT_EQ(pg.parameters.at("log_connections"), "on");
  EXPECT_EQ(pg.parameters.at("checkpoint_completion_target"), "0.9");
  EXPECT_EQ(pg.pg_ident, (std::vector<std::string>{"map1 postgres postgres"}));
  EXPECT_EQ(pg.callbacks.on_role_change, "/usr/local/bin/cb.sh");
  EXPECT_EQ(pg.basebackup_options,
            (std::vector<std::string>{"--max-rate=100M", "--checkpoint=fast", "--verbose"}));
  EXPECT_EQ(pg.pg_ctl_timeout, 90);
  EXPECT_TRUE(pg.remove_data_directory_on_diverged_timelines);
  EXPECT_EQ(pg.recovery_conf.at("recovery_min_apply_delay"), "0");
  EXPECT_FALSE(pg.use_unix_socket_repl);
  EXPECT_EQ(pg.before_stop, "/usr/local/bin/before-stop.sh");
}

TEST_F(FullConfigTest, ReadsWatchdogAndTags) {
  EXPECT_EQ(config().watchdog.mode, "off");
  EXPECT_EQ(config().tags.failover_priority, 2);
  EXPECT_EQ(config().tags.replicatefrom, "node-b");
  EXPECT_TRUE(config().tags.noloadbalance);
  EXPECT_EQ(config().tags.custom.at("datacenter"), "east");
  EXPECT_EQ(config().tags.custom.size(), 1u);
}

TEST(LegacyLayoutTest, UsersUnderPostgresqlAreReadAsAuthentication) {
  LoadResult result = testing::parse(R"(scope: demo
restapi: {listen: 0.0.0.0:8008, connect_address: 198.18.0.1:8008}
etcd3: {host: 198.18.0.20}
postgresql:
  name: old-style
  listen: 0.0.0.0:5432
  connect_address: 198.18.0.1:5432
  data_dir: /data
  replication: {username: repl, password: r}
  pg_rewind: {username: rw, password: w}
)");
  ASSERT_TRUE(result.ok()) << dump(result.diagnostics);
  const Config& config = *result.config;
  EXPECT_EQ(config.name, "old-style");
  EXPECT_EQ(config.postgresql.replication.username, "repl");
  EXPECT_EQ(config.postgresql.superuser.username, "rw");
  EXPECT_TRUE(config.postgresql.use_pg_rewind);
  EXPECT_EQ(config.etcd.hosts, (std::vector<std::string>{"198.18.0.20:2379"}));
}

}  // namespace
}  // namespace pghalo::config
