// The document tree and Patroni's scalar rules: YAML 1.1 typing, positions, merging.
#include "config/tree.h"

#include <gtest/gtest.h>

#include <cmath>

#include "config/scalars.h"
#include "config/test_support.h"

namespace pghalo::config::internal {
namespace {

using nlohmann::json;

struct PlainCase {
  const char* text;
  json expected;
};

void PrintTo(const PlainCase& c, std::ostream* os) { *os << c.text; }

class PlainScalarTest : public ::testing::TestWithParam<PlainCase> {};

TEST_P(PlainScalarTest, IsTypedAsPyYamlTypesIt) {
  EXPECT_EQ(resolve_plain_scalar(GetParam().text), GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Yaml11, PlainScalarTest,
    ::testing::Values(PlainCase{"8", 8}, PlainCase{"-3", -3}, PlainCase{"0x10", 16},
                      PlainCase{"010", 8}, PlainCase{"1_000", 1000}, PlainCase{"0.9", 0.9},
                      PlainCase{"on", true}, PlainCase{"Off", false}, PlainCase{"yes", true},
                      PlainCase{"NO", false}, PlainCase{"~", nullptr}, PlainCase{"null", nullptr},
                      PlainCase{"4GB", "4GB"}, PlainCase{"1e5", "1e5"}, PlainCase{"y", "y"},
                      PlainCase{"08", "08"}, PlainCase{"10.0.1.10:8008", "10.0.1.10:8008"},
                      PlainCase{"0b101", 5}, PlainCase{"+12", 12}, PlainCase{".5", 0.5},
                      PlainCase{"1.", 1.0}, PlainCase{"1.5e+3", 1500.0},
                      PlainCase{"1.5e3", "1.5e3"}, PlainCase{"-.inf", -HUGE_VAL},
                      PlainCase{"1.2.3", "1.2.3"}, PlainCase{"0x", "0x"}, PlainCase{"-", "-"},
                      PlainCase{"_1", "_1"},
                      PlainCase{"99999999999999999999", "99999999999999999999"}));

TEST(TreeTest, AVeryLongPlainScalarIsAString) {
  std::string digits(200000, '1');
  EXPECT_EQ(resolve_plain_scalar(digits), digits);
}

TEST(TreeTest, QuotedScalarsStayStrings) {
  std::vector<Diagnostic> diagnostics;
  auto root = parse_yaml("a: \"on\"\nb: '8'\nc: !!str 9\nd: on\n", "f.yml", &diagnostics);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(to_json(*root), json::parse(R"({"a": "on", "b": "8", "c": "9", "d": true})"));
}

TEST(TreeTest, RemembersLinesAndColumnsOfKeysAndValues) {
  std::vector<Diagnostic> diagnostics;
  auto root = parse_yaml("top:\n  inner:   value\n  empty:\n", "f.yml", &diagnostics);
  ASSERT_TRUE(root.has_value());
  const Entry* inner = find_path(*root, "top.inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->key_origin.line, 2);
  EXPECT_EQ(inner->key_origin.column, 3);
  EXPECT_EQ(inner->value.origin.column, 12);
  const Entry* empty = find_path(*root, "top.empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->value.is_null());
  EXPECT_EQ(empty->value.origin.line, 3);  // at its key, not at the next token
}

TEST(TreeTest, FindPathMatchesKeysThatContainDots) {
  std::vector<Diagnostic> diagnostics;
  auto root = parse_yaml("p:\n  pg_stat_statements.max: 5\n", "f.yml", &diagnostics);
  ASSERT_TRUE(root.has_value());
  const Entry* entry = find_path(*root, "p.pg_stat_statements.max");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->value.text, "5");
}

TEST(TreeTest, MergePatchesMapsReplacesOthersAndDeletesOnNull) {
  std::vector<Diagnostic> diagnostics;
  auto base = parse_yaml("a: {x: 1, y: 2}\nb: [1]\nc: 3\n", "1.yml", &diagnostics);
  auto overlay = parse_yaml("a: {y: 20, z: 30}\nb: [2]\nc: ~\n", "2.yml", &diagnostics);
  ASSERT_TRUE(base && overlay);
  merge_into(&*base, *overlay);
  EXPECT_EQ(to_json(*base), json::parse(R"({"a": {"x": 1, "y": 20, "z": 30}, "b": [2]})"));
  EXPECT_EQ(find_path(*base, "a.y")->value.origin.file, "2.yml");
  EXPECT_EQ(find_path(*base, "a.x")->value.origin.file, "1.yml");
}

TEST(TreeTest, UnsupportedTagsAreErrors) {
  std::vector<Diagnostic> diagnostics;
  EXPECT_FALSE(parse_yaml("a: !ENV ${HOME}\n", "f.yml", &diagnostics).has_value());
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].line, 1);
  EXPECT_NE(diagnostics[0].message.find("unsupported YAML tag"), std::string::npos);
}

struct HostPortCase {
  const char* text;
  int default_port;
  const char* host;  // nullptr: invalid
  int port;
};

void PrintTo(const HostPortCase& c, std::ostream* os) { *os << c.text; }

class HostPortTest : public ::testing::TestWithParam<HostPortCase> {};

TEST_P(HostPortTest, SplitsLikePatroni) {
  const HostPortCase& c = GetParam();
  std::string problem;
  auto parsed = split_host_port(c.text, c.default_port, &problem);
  if (c.host == nullptr) {
    EXPECT_FALSE(parsed.has_value()) << c.text;
    EXPECT_FALSE(problem.empty());
    return;
  }
  ASSERT_TRUE(parsed.has_value()) << c.text << ": " << problem;
  EXPECT_EQ(parsed->host, c.host);
  EXPECT_EQ(parsed->port, c.port);
}

INSTANTIATE_TEST_SUITE_P(Forms, HostPortTest,
                         ::testing::Values(HostPortCase{"10.0.1.10:5432", 0, "10.0.1.10", 5432},
                                           HostPortCase{"etcd1", 2379, "etcd1", 2379},
                                           HostPortCase{"[::1]:2379", 0, "::1", 2379},
                                           HostPortCase{"[::1]", 2379, "::1", 2379},
                                           HostPortCase{"a,b:5432", 0, "a,b", 5432},
                                           HostPortCase{"*:5432", 0, "*", 5432},
                                           HostPortCase{"10.0.1.10", 0, nullptr, 0},
                                           HostPortCase{"h:0", 0, nullptr, 0},
                                           HostPortCase{"h:65536", 0, nullptr, 0},
                                           HostPortCase{"h:http", 0, nullptr, 0}));

TEST(ScalarsTest, LoopbackAndWildcardAddressesAreRecognised) {
  for (const char* host : {"127.0.0.1", "127.0.0.42", "localhost", "::1", "0.0.0.0", "*", "::"}) {
    EXPECT_TRUE(is_loopback_or_wildcard(host)) << host;
  }
  for (const char* host : {"10.0.1.10", "198.18.0.1", "db.example.com", "1270.0.0.1"}) {
    EXPECT_FALSE(is_loopback_or_wildcard(host)) << host;
  }
}

TEST(ScalarsTest, SizesAreReadInMegabytes) {
  EXPECT_EQ(size_in_megabytes("128MB"), 128);
  EXPECT_EQ(size_in_megabytes("1GB"), 1024);
  EXPECT_EQ(size_in_megabytes("16384kB"), 16);
  EXPECT_EQ(size_in_megabytes("64"), 64);
  EXPECT_EQ(size_in_megabytes("lots"), std::nullopt);
}

TEST(ScalarsTest, PythonIntAndPatroniBoolRules) {
  EXPECT_EQ(parse_int_text(" 30 "), 30);
  EXPECT_EQ(parse_int_text("+5"), 5);
  EXPECT_EQ(parse_int_text("-5"), -5);
  EXPECT_EQ(parse_int_text("30.0"), std::nullopt);
  EXPECT_EQ(parse_int_text("+-5"), std::nullopt);
  EXPECT_EQ(json_to_int(json(30.7)), 30);
  EXPECT_EQ(json_to_int(json(true)), std::nullopt);
  EXPECT_EQ(json_to_bool(json("Yes")), true);
  EXPECT_EQ(json_to_bool(json(2)), std::nullopt);
  EXPECT_EQ(json_to_guc(json(false)), "off");
  EXPECT_EQ(json_to_guc(json(8)), "8");
  EXPECT_EQ(json_to_guc(json::array()), std::nullopt);
}

}  // namespace
}  // namespace pghalo::config::internal
