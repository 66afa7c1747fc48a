#include "pg/conninfo.h"

#include <gtest/gtest.h>

namespace pghalo::pg {
namespace {

SourceServer leader() {
  SourceServer s;
  s.host = "10.0.1.10";
  s.port = 5432;
  s.user = "replicator";
  s.password = "secure_replication_password";
  return s;
}

TEST(RenderPrimaryConninfo, FollowsPatronisKeywordOrderAndPg15Defaults) {
  EXPECT_EQ(
      render_primary_conninfo(leader(), "postgresql-node2", "/var/lib/postgresql/.pgpass", 15),
      "user=replicator passfile=/var/lib/postgresql/.pgpass host=10.0.1.10 port=5432 "
      "sslmode=prefer application_name=postgresql-node2 gssencmode=prefer "
      "channel_binding=prefer");
}

TEST(RenderPrimaryConninfo, KeepsConfiguredSslOptionsInOrderAndDropsUnknownOnes) {
  SourceServer s = leader();
  s.options = {{"sslrootcert", "/ca.crt"},
               {"sslmode", "verify-full"},
               {"sslcert", "/c.crt"},
               {"channel_binding", "require"},
               {"keepalives", "1"}};
  EXPECT_EQ(render_primary_conninfo(s, "n2", "/p", 15),
            "user=replicator passfile=/p host=10.0.1.10 port=5432 sslmode=verify-full "
            "sslcert=/c.crt sslrootcert=/ca.crt application_name=n2 gssencmode=prefer "
            "channel_binding=require");
}

TEST(RenderPrimaryConninfo, OmitsPassfileWithoutAPasswordAndVersionGatedDefaults) {
  SourceServer s = leader();
  s.password.reset();
  EXPECT_EQ(render_primary_conninfo(s, "n2", "/p", 12),
            "user=replicator host=10.0.1.10 port=5432 sslmode=prefer application_name=n2 "
            "gssencmode=prefer");
}

TEST(EscapeConninfoValue, BackslashesQuotesBackslashesAndSpaces) {
  EXPECT_EQ(escape_conninfo_value("a b'c\\d"), "a\\ b\\'c\\\\d");
  SourceServer s = leader();
  s.user = "odd user";
  EXPECT_EQ(render_primary_conninfo(s, "my node", "", 15).substr(0, 15), "user=odd\\ user ");
}

TEST(RenderToolDsn, HasDbnameButNeverThePassword) {
  SourceServer s = leader();
  s.options = {{"sslmode", "require"}};
  std::string dsn = render_tool_dsn(s);
  EXPECT_EQ(dsn, "dbname=postgres user=replicator host=10.0.1.10 port=5432 sslmode=require");
  EXPECT_EQ(dsn.find("secure"), std::string::npos);
}

TEST(RenderPgpass, EscapesColonsAndBackslashesAndSplitsHostLists) {
  PgPassEntry entry;
  entry.host = "10.0.1.10,10.0.1.11";
  entry.port = "5432";
  entry.user = "rep:user";
  entry.password = "p\\a:ss";
  PgPassEntry no_password;
  no_password.user = "skipped";
  EXPECT_EQ(render_pgpass({entry, no_password}),
            "10.0.1.10:5432:*:rep\\:user:p\\\\a\\:ss\n"
            "10.0.1.11:5432:*:rep\\:user:p\\\\a\\:ss\n");
}

TEST(PgpassEntryFor, ExistsOnlyWhenTheSourceHasAPassword) {
  auto entry = pgpass_entry_for(leader());
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->host, "10.0.1.10");
  EXPECT_EQ(entry->port, "5432");
  EXPECT_EQ(entry->user, "replicator");
  SourceServer s = leader();
  s.password.reset();
  EXPECT_FALSE(pgpass_entry_for(s).has_value());
}

TEST(ConnectionKeywords, CarryThePasswordInMemoryAndTheExtras) {
  auto keywords = connection_keywords(leader(), {{"connect_timeout", "3"}});
  std::vector<std::pair<std::string, std::string>> expected = {
      {"host", "10.0.1.10"},
      {"port", "5432"},
      {"user", "replicator"},
      {"dbname", "postgres"},
      {"password", "secure_replication_password"},
      {"connect_timeout", "3"}};
  EXPECT_EQ(keywords, expected);
}

}  // namespace
}  // namespace pghalo::pg
