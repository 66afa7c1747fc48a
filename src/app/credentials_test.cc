#include "app/credentials.h"

#include <gtest/gtest.h>

namespace pghalo::app {
namespace {

TEST(PgpassPasswordTest, FindsTheUsersLineWhateverHostAndPort) {
  std::string text = "# comment\n10.0.1.10:5432:*:postgres:pw0\n*:*:*:replicator:secure_replication_password\n";
  EXPECT_EQ(pgpass_password(text, "replicator"), "secure_replication_password");
  EXPECT_EQ(pgpass_password(text, "postgres"), "pw0");
  EXPECT_EQ(pgpass_password(text, "nobody"), std::nullopt);
}

TEST(PgpassPasswordTest, UndoesEscapes) {
  EXPECT_EQ(pgpass_password("*:*:*:rep:a\\:b\\\\c\n", "rep"), "a:b\\c");
}

TEST(PgpassPasswordTest, IgnoresMalformedLines) {
  EXPECT_EQ(pgpass_password("garbage\n*:*:rep:pw\n", "rep"), std::nullopt);
}

}  // namespace
}  // namespace pghalo::app
