// parse_peer_status against the bodies Patroni 3.0.2 sends (spec 3.2) and broken ones.
#include <gtest/gtest.h>

#include "peer/peer_client.h"

namespace pghalo::peer {
namespace {

using model::MemberName;

const char* kPrimary =
    R"({"state": "running", "role": "master", "server_version": 150018, "xlog": {"location": 67273320}, "timeline": 1, "dcs_last_seen": 1795725955, "patroni": {"version": "3.0.2", "scope": "pglab"}})";
const char* kReplica =
    R"({"state": "running", "role": "replica", "xlog": {"received_location": 67273320, "replayed_location": 67273000, "replayed_timestamp": null, "paused": false}, "timeline": 2})";

struct Row {
  const char* situation;
  std::string body;
  bool reachable;
  bool primary;
  std::uint64_t position;
  bool nofailover;
};

TEST(ParsePeerStatus, ReadsWhatTheLeaderRaceNeeds) {
  // clang-format off
  const std::vector<Row> rows = {
    {"primary", kPrimary, true, true, 67273320, false},
    {"replica: max of received and replayed", kReplica, true, false, 67273320, false},
    {"replica ahead in replay", R"({"xlog": {"received_location": 5, "replayed_location": 9}})", true, false, 9, false},
    {"location 0 reads as a replica, like Patroni", R"({"xlog": {"location": 0, "replayed_location": 3}})", true, false, 3, false},
    {"4.x wal key", R"({"wal": {"location": 77}})", true, true, 77, false},
    {"nofailover tag", R"({"xlog": {"location": 1}, "tags": {"nofailover": true}})", true, true, 1, true},
    {"nofailover false", R"({"xlog": {"location": 1}, "tags": {"nofailover": false}})", true, true, 1, false},
    {"failover_priority 0", R"({"xlog": {"location": 1}, "tags": {"failover_priority": 0}})", true, true, 1, true},
    {"null positions", R"({"xlog": {"received_location": null, "replayed_location": 4}})", true, false, 4, false},
    {"PostgreSQL down: no xlog", R"({"state": "stopped", "role": "replica"})", false, false, 0, false},
    {"xlog not an object", R"({"xlog": 5})", false, false, 0, false},
    {"not JSON", "<html>oops</html>", false, false, 0, false},
    {"not an object", "[1, 2]", false, false, 0, false},
    {"empty", "", false, false, 0, false},
  };
  // clang-format on
  for (const auto& row : rows) {
    auto status = parse_peer_status(MemberName("node2"), row.body);
    EXPECT_EQ(status.name, MemberName("node2")) << row.situation;
    EXPECT_EQ(status.reachable, row.reachable) << row.situation;
    EXPECT_EQ(status.reachable, status.error.empty()) << row.situation;
    if (!row.reachable) continue;
    EXPECT_EQ(status.is_primary, row.primary) << row.situation;
    EXPECT_EQ(status.wal_position.value, row.position) << row.situation;
    EXPECT_EQ(status.nofailover, row.nofailover) << row.situation;
  }
}

TEST(ParsePeerStatus, ReadsTimelineStateWatchdogAndPriority) {
  auto status = parse_peer_status(
      MemberName("n"),
      R"({"state": "running", "xlog": {"location": 1}, "timeline": 3, "watchdog_failed": true, "tags": {"failover_priority": 5}})");
  EXPECT_EQ(status.timeline, model::TimelineId(3));
  EXPECT_EQ(status.state, "running");
  EXPECT_TRUE(status.watchdog_failed);
  EXPECT_EQ(status.failover_priority, 5);
  EXPECT_FALSE(status.nofailover);
  EXPECT_FALSE(parse_peer_status(MemberName("n"), kPrimary).watchdog_failed);
}

TEST(EndpointUrl, ReplacesThePathOfTheApiUrl) {
  EXPECT_EQ(endpoint_url("http://127.0.0.1:8008/patroni", "/failsafe"),
            "http://127.0.0.1:8008/failsafe");
  EXPECT_EQ(endpoint_url("https://[::1]:8008/patroni?x=1", "/failsafe"), "https://[::1]:8008/failsafe");
  EXPECT_EQ(endpoint_url("http://host", "/failsafe"), "http://host/failsafe");
  EXPECT_EQ(endpoint_url("host:8008/patroni", "/failsafe"), "");
}

}  // namespace
}  // namespace pghalo::peer
