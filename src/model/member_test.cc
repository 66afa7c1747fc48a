#include "model/member.h"

#include <gtest/gtest.h>

namespace pghalo::model {
namespace {

TEST(RoleTest, ReadsBothVocabularies) {
  EXPECT_EQ(parse_role("master"), Role::kPrimary);
  EXPECT_EQ(parse_role("primary"), Role::kPrimary);
  EXPECT_EQ(parse_role("replica"), Role::kReplica);
  EXPECT_EQ(parse_role("bogus"), Role::kUnknown);
}

TEST(RoleTest, WritesTheChosenVocabulary) {
  EXPECT_EQ(role_name(Role::kPrimary), "master");
  EXPECT_EQ(role_name(Role::kPrimary, RoleVocabulary::kPrimary), "primary");
}

TEST(TagsTest, PublishesBuiltInBooleansOnlyWhenTrue) {
  Tags tags = Tags::from_json(
      nlohmann::json::parse(R"({"nofailover":false,"clonefrom":true,"dc":"east","w":1.5})"));
  EXPECT_FALSE(tags.nofailover);
  EXPECT_TRUE(tags.clonefrom);
  EXPECT_EQ(tags.to_json(), nlohmann::json::parse(R"({"clonefrom":true,"dc":"east","w":1.5})"));
}

TEST(TagsTest, FailoverPriorityZeroForbidsFailover) {
  Tags tags;
  EXPECT_TRUE(tags.can_failover());
  tags.failover_priority = 0;
  EXPECT_FALSE(tags.can_failover());
  tags.failover_priority = 2;
  tags.nofailover = true;
  EXPECT_FALSE(tags.can_failover());
}

}  // namespace
}  // namespace pghalo::model
