#include "ctl/config_edit.h"

#include <gtest/gtest.h>

namespace pghalo::ctl {
namespace {

using nlohmann::json;

TEST(ConfigEdit, SetPairsTypeValuesAsYaml) {
  auto out = apply_set_pairs(json::parse(R"({"ttl":30})"),
                             {"ttl=10", "postgresql.use_slots=off", "synchronous_mode=true"});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out, json::parse(R"({"ttl":10,"postgresql":{"use_slots":false},"synchronous_mode":true})"));
}

TEST(ConfigEdit, GucNamesWithDotsStayOneKeyBelowParameters) {
  auto out = apply_set_pairs(json::object(), {"postgresql.parameters.pg_stat_statements.max=500"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, json::parse(R"({"postgresql":{"parameters":{"pg_stat_statements.max":500}}})"));
}

TEST(ConfigEdit, NullRemovesAKeyAndEmptyParentsGoWithIt) {
  auto out = apply_set_pairs(json::parse(R"({"ttl":30,"postgresql":{"parameters":{"a":1}}})"),
                             {"postgresql.parameters.a=null", "ttl="});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, json::object());
}

TEST(ConfigEdit, PairsWithoutEqualsOrWithEmptyKeysAreRefused) {
  for (const std::string bad : {"ttl", "", "a..b=1", "=1"}) {
    auto out = apply_set_pairs(json::object(), {bad});
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_EQ(out.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ConfigEdit, PatchMergesMapsRemovesNullsAndComparesScalarsAsText) {
  json config = json::parse(R"({"ttl":30,"postgresql":{"parameters":{"a":"10","b":1}},"x":1})");
  EXPECT_FALSE(patch_config(config, json::parse(R"({"postgresql":{"parameters":{"a":10}}})")));
  EXPECT_EQ(config["postgresql"]["parameters"]["a"], "10");  // "10" and 10 are the same to Patroni
  EXPECT_TRUE(patch_config(config, json::parse(R"({"x":null,"ttl":20,"new":{"k":"v"}})")));
  EXPECT_EQ(config, json::parse(R"({"ttl":20,"postgresql":{"parameters":{"a":"10","b":1}},"new":{"k":"v"}})"));
}

TEST(ConfigEdit, DocumentsMustBeMaps) {
  EXPECT_EQ(*parse_config_document("", "f.yaml"), json::object());
  auto list = parse_config_document("- a\n", "f.yaml");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("f.yaml"), std::string::npos);
  auto from_stdin = parse_config_document("a: [", "-");
  ASSERT_FALSE(from_stdin.ok());
  EXPECT_NE(from_stdin.error().message.find("stdin"), std::string::npos);
}

}  // namespace
}  // namespace pghalo::ctl
