// Body rules and the validation messages of spec 3.5 (restart filters, switchover/failover rules).
#include "api/request_body.h"

#include <gtest/gtest.h>

#include "api/testing/snapshots.h"

namespace pghalo::api {
namespace {

using model::MemberName;
using Json = nlohmann::ordered_json;

const MonoTime kNow = MonoTime(std::chrono::hours(1));
const WallTime kWallNow = WallTime(std::chrono::seconds(1795725955));  // 2026-11-26 20:45:55Z

Request with_body(std::optional<std::string> body) {
  Request r;
  r.method = "POST";
  if (body) {
    r.content_length = body->size();
    r.body = *body;
  }
  return r;
}

struct BodyRow {
  std::optional<std::string> body;
  bool optional;
  int status;  // 0: accepted
  const char* message_part;
};

TEST(ReadJsonBody, AppliesPatronisBodyRulesWithMessagesThatNameTheProblem) {
  for (const auto& row : std::vector<BodyRow>{
           {std::nullopt, false, 411, "Content-Length"},
           {std::nullopt, true, 0, ""},
           {"", true, 0, ""},
           {"", false, 400, "not valid JSON"},
           {"{", false, 400, "not valid JSON"},
           {"[1]", false, 400, "must be a JSON object, got array"},
           {"\"x\"", true, 400, "must be a JSON object, got string"},
           {"{}", false, 400, "empty object"},
           {"{}", true, 0, ""},
           {std::string(200, '[') + std::string(200, ']'), false, 400, "nested deeper"},
           {"{\"a\": \"\xff\"}", false, 400, "not valid JSON"},
           {"{\"force\": true}", false, 0, ""},
       }) {
    JsonBody result = read_json_body(with_body(row.body), row.optional);
    std::string label = row.body.value_or("<no body>").substr(0, 20);
    if (row.status == 0) {
      EXPECT_TRUE(std::holds_alternative<Json>(result)) << label;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<Response>(result)) << label;
    const auto& response = std::get<Response>(result);
    EXPECT_EQ(response.status, row.status) << label;
    EXPECT_NE(response.body.find(row.message_part), std::string::npos) << response.body;
  }
}

struct RestartRow {
  const char* body;
  bool paused;
  int status;  // 0: accepted
  const char* message;
};

TEST(ValidateRestart, ChecksEveryFilterInTheOrderSent) {
  for (const auto& row : std::vector<RestartRow>{
           {R"({})", false, 0, ""},
           {R"({"role": "master", "postgres_version": "15.3", "timeout": "30s", "restart_pending": true})", false, 0, ""},
           {R"({"role": "leader"})", false, 400, "PostgreSQL role should be either primary or replica"},
           {R"({"role": 1})", false, 400, "PostgreSQL role should be either primary or replica"},
           {R"({"postgres_version": "9.6"})", false, 400, "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: 9.6"},
           {R"({"postgres_version": "abc"})", false, 400, "Invalid PostgreSQL version: abc"},
           {R"({"postgres_version": 15})", false, 400, "postgres_version must be a string like \"15.3\", got 15"},
           {R"({"timeout": 0})", false, 400, "Timeout should be a positive number of seconds"},
           {R"({"timeout": "soon"})", false, 400, "Timeout should be a positive number of seconds"},
           {R"({"restart_pending": "maybe"})", false, 400, "restart_pending must be true or false, got \"maybe\""},
           {R"({"when": "now"})", false, 400, "Unknown filter for the scheduled restart: when"},
           {R"({"when": "now", "role": "x"})", false, 400, "Unknown filter for the scheduled restart: when"},
           {R"({"role": "x", "when": "now"})", false, 400, "PostgreSQL role should be either primary or replica"},
           {R"({"schedule": "2026-11-26T21:00:00"})", false, 400, "Timezone information is mandatory for the scheduled restart"},
           {R"({"schedule": "2026-11-26T20:00:00+00:00"})", false, 422, "Cannot schedule restart in the past"},
           {R"({"schedule": "next week"})", false, 422, "Unable to parse scheduled timestamp"},
           {R"({"schedule": "2026-11-26T21:00:00+00:00"})", true, 500, "Can't schedule restart in the paused state"},
           {R"({"schedule": "2026-11-26T21:00:00+00:00"})", false, 0, ""},
       }) {
    auto result = validate_restart(Json::parse(row.body), row.paused, kWallNow);
    if (row.status == 0) {
      EXPECT_TRUE(std::holds_alternative<model::RestartCommand>(result)) << row.body;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<Response>(result)) << row.body;
    EXPECT_EQ(std::get<Response>(result).status, row.status) << row.body;
    EXPECT_EQ(std::get<Response>(result).body.substr(0, std::string(row.message).size()),
              row.message) << row.body;
  }
}

TEST(ValidateRestart, CarriesTheFiltersAndTheNormalisedScheduleToTheAgent) {
  auto result = validate_restart(
      Json::parse(R"({"schedule": "2026-11-26T23:00+02:00", "role": "replica", "timeout": "2min"})"),
      false, kWallNow);
  ASSERT_TRUE(std::holds_alternative<model::RestartCommand>(result));
  const auto& command = std::get<model::RestartCommand>(result);
  EXPECT_EQ(command.role, "replica");
  EXPECT_EQ(command.timeout, Duration(120000));
  ASSERT_TRUE(command.schedule);
  EXPECT_EQ(*command.schedule, WallTime(std::chrono::seconds(1795726800)));
  EXPECT_EQ(command.raw["schedule"], "2026-11-26T23:00:00+02:00");
}

TEST(ReinitializeCommand, ReadsForceLikePatroniParseBool) {
  EXPECT_TRUE(reinitialize_command(Json::parse(R"({"force": "on"})")).force);
  EXPECT_TRUE(reinitialize_command(Json::parse(R"({"force": true})")).force);
  EXPECT_FALSE(reinitialize_command(Json::parse(R"({"force": "nope"})")).force);
  EXPECT_FALSE(reinitialize_command(Json::object()).force);
}

struct SwitchoverRow {
  const char* situation;
  const char* body;
  bool failover;
  std::function<void(model::StatusSnapshot&)> mutate;
  int status;  // 0: accepted
  const char* message;
};

void paused(model::StatusSnapshot& s) {
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  (*cluster->config)["pause"] = true;
  s.cluster = cluster;
  s.paused = true;
}

void sync_mode(model::StatusSnapshot& s) {
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  (*cluster->config)["synchronous_mode"] = true;
  cluster->sync = model::SyncState{MemberName("node1"), {MemberName("node3")}, {}};
  s.cluster = cluster;
}

void alone(model::StatusSnapshot& s) {
  auto cluster = std::make_shared<model::ClusterState>(*s.cluster);
  cluster->members.erase(MemberName("node2"));
  cluster->members.erase(MemberName("node3"));
  s.cluster = cluster;
}

void nothing(model::StatusSnapshot&) {}

TEST(ValidateSwitchover, AppliesRulesOneToFourWithPatronisMessages) {
  // clang-format off
  const std::vector<SwitchoverRow> rows = {
    {"failover needs a candidate", R"({"leader": "node1"})", true, nothing, 400, "Failover could be performed only to a specific candidate"},
    {"switchover needs a leader", R"({"candidate": "node2"})", false, nothing, 400, "Switchover could be performed only from a specific leader"},
    {"empty names count as missing", R"({"leader": "", "candidate": "node2"})", false, nothing, 400, "Switchover could be performed only from a specific leader"},
    {"names must be strings", R"({"leader": 1, "candidate": "node2"})", false, nothing, 400, "'leader' must be a member name (a string), got 1"},
    {"scheduled failover needs a leader", R"({"candidate": "node2", "scheduled_at": "2026-11-26T21:00+00:00"})", true, nothing, 400, "Scheduled failover is possible only from a specific leader"},
    {"no schedule while paused", R"({"leader": "node1", "scheduled_at": "2026-11-26T21:00+00:00"})", false, paused, 400, "Can't schedule switchover in the paused state"},
    {"schedule needs a zone", R"({"leader": "node1", "scheduled_at": "2026-11-26T21:00"})", false, nothing, 400, "Timezone information is mandatory for the scheduled switchover"},
    {"schedule in the past", R"({"leader": "node1", "scheduled_at": "2020-01-01T00:00+00:00"})", false, nothing, 422, "Cannot schedule switchover in the past"},
    {"unreadable schedule", R"({"leader": "node1", "scheduled_at": "soon"})", false, nothing, 422, "Unable to parse scheduled timestamp"},
    {"paused needs a candidate", R"({"leader": "node1"})", false, paused, 400, "Switchover is possible only to a specific candidate in a paused state"},
    {"leader must match", R"({"leader": "node2", "candidate": "node3"})", false, nothing, 412, "leader name does not match"},
    {"candidate must exist", R"({"leader": "node1", "candidate": "node9"})", false, nothing, 412, "candidate does not exists"},
    {"member is the candidate's alias", R"({"leader": "node1", "member": "node9"})", false, nothing, 412, "candidate does not exists"},
    {"sync mode: candidate must be sync standby", R"({"leader": "node1", "candidate": "node2"})", false, sync_mode, 412, "candidate name does not match with sync_standby"},
    {"sync mode: failover may go to any member", R"({"candidate": "node2"})", true, sync_mode, 0, ""},
    {"sync mode: switchover to the sync standby", R"({"leader": "node1"})", false, sync_mode, 0, ""},
    {"no other member", R"({"leader": "node1"})", false, alone, 412, "switchover is not possible: cluster does not have members except leader"},
    {"plain switchover", R"({"leader": "node1", "candidate": "node2"})", false, nothing, 0, ""},
    {"plain failover", R"({"candidate": "node2"})", true, nothing, 0, ""},
    {"scheduled switchover skips the feasibility check", R"({"leader": "node7", "scheduled_at": "2026-11-26T21:00+00:00"})", false, nothing, 0, ""},
  };
  // clang-format on
  for (const auto& row : rows) {
    auto s = testing::leader_snapshot(kNow);
    row.mutate(s);
    auto result = validate_switchover(Json::parse(row.body), row.failover, s, kNow, kWallNow);
    if (row.status == 0) {
      EXPECT_TRUE(std::holds_alternative<model::SwitchoverCommand>(result)) << row.situation;
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<Response>(result)) << row.situation;
    const auto& response = std::get<Response>(result);
    EXPECT_EQ(response.status, row.status) << row.situation;
    EXPECT_EQ(response.body.substr(0, std::string(row.message).size()), row.message)
        << row.situation << ": " << response.body;
  }
}

TEST(ValidateSwitchover, LeavesFeasibilityToTheAgentWithoutAFreshView) {
  auto s = testing::leader_snapshot(kNow);
  s.cluster_view_at = kNow - std::chrono::minutes(5);
  auto result = validate_switchover(Json::parse(R"({"leader": "node7", "candidate": "node9"})"),
                                    false, s, kNow, kWallNow);
  ASSERT_TRUE(std::holds_alternative<model::SwitchoverCommand>(result));
  EXPECT_EQ(std::get<model::SwitchoverCommand>(result).leader, MemberName("node7"));
}

}  // namespace
}  // namespace pghalo::api
