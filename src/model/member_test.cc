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

#include "model/slot_name.h"

namespace pghalo::model {
namespace {

TEST(SlotNameTest, FollowsPatronisRules) {
  EXPECT_EQ(slot_name_for_member("pg-node.1"), "pg_node_1");
  EXPECT_EQ(slot_name_for_member("postgresql-node1"), "postgresql_node1");
  EXPECT_EQ(slot_name_for_member("Node_A"), "node_a");
  EXPECT_EQ(slot_name_for_member("a b"), "au0032b");
  EXPECT_EQ(slot_name_for_member("caf\xc3\xa9"), "cafu0233");
  EXPECT_EQ(slot_name_for_member(std::string(70, 'x')).size(), 63u);
}

}  // namespace
}  // namespace pghalo::model
