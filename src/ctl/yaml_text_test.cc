#include "ctl/yaml_text.h"

#include <gtest/gtest.h>

namespace pghalo::ctl {
namespace {

TEST(YamlText, DumpsThePatroniFixtureConfigAsPatronictlShowsIt) {
  auto config = nlohmann::json::parse(
      R"({"ttl":30,"loop_wait":10,"retry_timeout":10,"maximum_lag_on_failover":1048576,)"
      R"("postgresql":{"use_pg_rewind":true,"use_slots":true,"parameters":{"wal_level":"replica",)"
      R"("hot_standby":"on","wal_log_hints":"on","max_wal_senders":10,"max_replication_slots":10,)"
      R"("wal_keep_size":"128MB"}}})");
  EXPECT_EQ(dump_yaml(config),
            "loop_wait: 10\n"
            "maximum_lag_on_failover: 1048576\n"
            "postgresql:\n"
            "  parameters:\n"
            "    hot_standby: 'on'\n"
            "    max_replication_slots: 10\n"
            "    max_wal_senders: 10\n"
            "    wal_keep_size: 128MB\n"
            "    wal_level: replica\n"
            "    wal_log_hints: 'on'\n"
            "  use_pg_rewind: true\n"
            "  use_slots: true\n"
            "retry_timeout: 10\n"
            "ttl: 30\n");
}

TEST(YamlText, QuotesStringsThatWouldReadBackAsAnotherType) {
  struct Case {
    std::string text, expected;
  };
  for (const auto& c : std::vector<Case>{{"on", "'on'"},
                                         {"No", "'No'"},
                                         {"10", "'10'"},
                                         {"0.9", "'0.9'"},
                                         {"", "''"},
                                         {"null", "'null'"},
                                         {"~", "'~'"},
                                         {"2024-05-02T10:11:12+00:00", "'2024-05-02T10:11:12+00:00'"},
                                         {"*", "'*'"},
                                         {"a: b", "'a: b'"},
                                         {"it's", "it's"},
                                         {"'quoted'", "'''quoted'''"},
                                         {" padded", "' padded'"},
                                         {"host all all 0.0.0.0/0 md5", "host all all 0.0.0.0/0 md5"},
                                         {"line\nbreak", "\"line\\nbreak\""},
                                         {"128MB", "128MB"}}) {
    EXPECT_EQ(yaml_scalar(c.text), c.expected) << c.text;
  }
}

TEST(YamlText, WritesListsIndentlessAndMapsInListsLikePyYaml) {
  auto value = nlohmann::json::parse(
      R"({"pg_hba":["local all all trust","host all all 127.0.0.1/32 md5"],)"
      R"("slots":{},"list":[{"b":1,"a":[1,2]},[3,4]]})");
  EXPECT_EQ(dump_yaml(value),
            "list:\n"
            "- a:\n"
            "  - 1\n"
            "  - 2\n"
            "  b: 1\n"
            "- - 3\n"
            "  - 4\n"
            "pg_hba:\n"
            "- local all all trust\n"
            "- host all all 127.0.0.1/32 md5\n"
            "slots: {}\n");
}

TEST(YamlText, FlowStyleIsWhatPatronictlPrintsForTagsInTsv) {
  EXPECT_EQ(dump_yaml_flow(nlohmann::json::parse(R"({"nofailover":true,"zone":"a b"})")),
            "{nofailover: true, zone: a b}");
  EXPECT_EQ(dump_yaml_flow(nlohmann::json::parse(R"({"x":"a,b"})")), "{x: 'a,b'}");
}

TEST(YamlText, EmptyMapAndScalarsEndAsPyYamlEndsThem) {
  EXPECT_EQ(dump_yaml(nlohmann::json::object()), "{}\n");
  EXPECT_EQ(dump_yaml(nlohmann::json::array()), "[]\n");
  EXPECT_EQ(dump_yaml(nlohmann::json(5)), "5\n...\n");
}

TEST(YamlText, ParsesValuesAsPyYamlTypesThem) {
  EXPECT_EQ(*parse_yaml("on", "v"), nlohmann::json(true));
  EXPECT_EQ(*parse_yaml("10", "v"), nlohmann::json(10));
  EXPECT_EQ(*parse_yaml("'10'", "v"), nlohmann::json("10"));
  EXPECT_EQ(*parse_yaml("", "v"), nlohmann::json());
  EXPECT_EQ(*parse_yaml("[a, b]", "v"), nlohmann::json::parse(R"(["a","b"])"));
  auto broken = parse_yaml("a: [", "config.yaml");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(broken.error().message.find("config.yaml"), std::string::npos);
}

}  // namespace
}  // namespace pghalo::ctl
