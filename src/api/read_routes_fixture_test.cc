// Compares every recorded Patroni 3.0.2 answer (shared/spec/patroni-fixtures/*/rest/*) with ours
// for a snapshot of the same node: status codes, content types, and JSON bodies field by field
// and in Patroni's field order.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "api/read_routes.h"
#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

using Json = nlohmann::ordered_json;

Request make_request(const std::string& method, const std::string& path) {
  Request r;
  r.method = method;
  r.path = path;
  return r;
}

class FixtureTest : public ::testing::TestWithParam<testing::FixtureNode> {
 protected:
  void SetUp() override {
    rendered_ = std::make_shared<RenderedSnapshot>(
        std::make_shared<model::StatusSnapshot>(testing::fixture_snapshot(GetParam(), now_)));
  }
  Response get(const std::string& method, const std::string& path) {
    return read_route(make_request(method, path), *rendered_, now_);
  }

  ManualClock clock_;
  MonoTime now_ = clock_.now();
  std::shared_ptr<RenderedSnapshot> rendered_;
};

TEST_P(FixtureTest, EveryRecordedStatusCodeAndContentTypeMatches) {
  for (const auto& entry : testing::read_json(GetParam().rest_dir / "status-codes.json")) {
    std::string method = entry.value("method", "GET");
    std::string path = entry["path"];
    Response response = get(method, path);
    EXPECT_EQ(response.status, entry["status"].get<int>()) << method << " " << path;
    if (entry.contains("content_type")) {
      if (entry["content_type"].is_null()) {
        EXPECT_TRUE(response.status_line_only) << path;
      } else {
        EXPECT_EQ(response.content_type, entry["content_type"].get<std::string>()) << path;
      }
    } else {
      EXPECT_TRUE(response.status_line_only) << method << " " << path;
    }
  }
}

TEST_P(FixtureTest, JsonBodiesMatchFieldByFieldInPatroniOrder) {
  // Bodies were captured seconds apart; dcs_last_seen is compared on /patroni only.
  int compared = 0;
  for (const auto& file : std::filesystem::directory_iterator(GetParam().rest_dir)) {
    const std::string stem = file.path().stem().string();
    if (file.path().extension() != ".json" || stem == "status-codes") continue;
    Json recorded = testing::read_json(file.path());
    if (!recorded.contains("body") || recorded["body"].is_null()) continue;
    Response response = get(recorded["method"], recorded["path"]);
    ASSERT_EQ(response.status, recorded["status"].get<int>()) << stem;
    Json ours = Json::parse(response.body_view());
    ++compared;
    Json expected = recorded["body"];
    if (stem != "patroni" && expected.is_object() && expected.contains("dcs_last_seen")) {
      expected["dcs_last_seen"] = ours["dcs_last_seen"];
    }
    if (stem == "config") {
      // The model keeps /config as an unordered object: compare values only.
      EXPECT_EQ(nlohmann::json::parse(ours.dump()), nlohmann::json::parse(expected.dump()));
      continue;
    }
    EXPECT_EQ(ours.dump(), expected.dump()) << GetParam().stage << "/" << GetParam().who << "/"
                                            << stem;
  }
  EXPECT_GE(compared, 15);  // every health check, /patroni, /cluster, /history, /config
}

struct MetricLine {
  std::string type;
  std::string value_line;
  bool has_help = false;
};

std::map<std::string, MetricLine> parse_metrics(const std::string& text) {
  std::map<std::string, MetricLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      out[line.substr(7, line.find(' ', 7) - 7)].has_help = true;
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      out[name].type = line.substr(line.rfind(' ') + 1);
    } else if (!line.empty()) {
      std::string name = line.substr(0, line.find_first_of("{ "));
      // Patroni 3.0.2 writes "patroni_postgres_server_version {scope=...}"; we do not.
      std::string normalized = line;
      if (auto pos = normalized.find(" {"); pos != std::string::npos) normalized.erase(pos, 1);
      out[name].value_line = normalized;
    }
  }
  return out;
}

TEST_P(FixtureTest, MetricsHaveEveryRecordedMetricWithItsTypeLabelsAndValue) {
  auto recorded = parse_metrics(testing::read_text(GetParam().rest_dir / "metrics.txt"));
  Response response = get("GET", "/metrics");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain");
  auto ours = parse_metrics(std::string(response.body_view()));
  EXPECT_EQ(ours.size(), recorded.size());
  for (const auto& [name, expected] : recorded) {
    ASSERT_TRUE(ours.count(name)) << name;
    EXPECT_TRUE(ours[name].has_help) << name;
    EXPECT_EQ(ours[name].type, expected.type) << name;
    if (name == "patroni_dcs_last_seen") continue;  // captured at another second
    EXPECT_EQ(ours[name].value_line, expected.value_line) << name;
  }
  EXPECT_EQ(std::string(response.body_view()).find(" {"), std::string::npos);
}

std::string fixture_name(const ::testing::TestParamInfo<testing::FixtureNode>& info) {
  std::string name = info.param.stage + "_" + info.param.who;
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Recorded, FixtureTest, ::testing::ValuesIn(testing::fixture_nodes()),
                         fixture_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FixtureTest);

}  // namespace
}  // namespace pghalo::api
