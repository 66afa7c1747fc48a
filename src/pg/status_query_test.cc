#include "pg/status_query.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace pghalo::pg {
namespace {

using Row = std::vector<std::optional<std::string>>;

QueryResult table(std::vector<std::string> columns, std::vector<Row> rows) {
  return QueryResult{std::move(columns), std::move(rows)};
}

const std::vector<std::string> kScalarColumns = {
    "in_recovery",   "wal_lsn",  "receive_lsn",           "replay_lsn",     "replay_timestamp",
    "replay_paused", "timeline", "postmaster_start_time", "server_version", "pending_restart"};

std::vector<QueryResult> primary_results() {
  return {
      table(kScalarColumns, {{"f", "0/5000148", std::nullopt, std::nullopt, std::nullopt, "f", "2",
                              "2026-11-26 22:03:52.123456+00:00", "150018", "f"}}),
      table({"usename", "application_name", "client_addr", "state", "sync_state", "sync_priority",
             "sent_lsn", "write_lsn", "flush_lsn", "replay_lsn"},
            {{"replicator", "postgresql-node2", "127.0.0.1", "streaming", "async", "0", "0/5000148",
              "0/5000148", "0/5000148", "0/5000100"},
             {"replicator", "postgresql-node3", std::nullopt, "catchup", "async", "0", "0/4000000",
              std::nullopt, std::nullopt, std::nullopt}}),
      table({"status", "sender_host", "sender_port", "slot_name", "received_tli", "conninfo"}, {}),
      table({"slot_name", "slot_type", "plugin", "database", "active", "restart_lsn",
             "confirmed_flush_lsn"},
            {{"postgresql_node2", "physical", std::nullopt, std::nullopt, "t", "0/5000100",
              std::nullopt}})};
}

TEST(ApplyStatusResults, ReadsAPrimary) {
  model::PgObservation obs;
  ASSERT_TRUE(apply_status_results(primary_results(), &obs).ok());
  EXPECT_FALSE(obs.in_recovery);
  EXPECT_EQ(obs.wal_position.value, *parse_lsn("0/5000148"));
  EXPECT_EQ(obs.received_lsn.value, 0u);
  EXPECT_EQ(obs.timeline.value, 2);
  EXPECT_EQ(obs.postmaster_start_time, "2026-11-26 22:03:52.123456+00:00");
  EXPECT_EQ(obs.server_version, 150018);
  EXPECT_FALSE(obs.pending_restart);
  ASSERT_EQ(obs.replication.size(), 2u);
  EXPECT_EQ(obs.replication[0].application_name, "postgresql-node2");
  EXPECT_EQ(obs.replication[0].replay_lsn.value, *parse_lsn("0/5000100"));
  EXPECT_EQ(obs.replication[1].client_addr, "");  // Unix socket: NULL
  EXPECT_FALSE(obs.wal_receiver.has_value());
  ASSERT_EQ(obs.slots.size(), 1u);
  EXPECT_TRUE(obs.slots[0].active);
  EXPECT_EQ(obs.slots[0].restart_lsn, model::Lsn(*parse_lsn("0/5000100")));
  EXPECT_FALSE(obs.slots[0].confirmed_flush_lsn.has_value());
}

TEST(ApplyStatusResults, ReadsAStreamingReplica) {
  auto results = primary_results();
  results[0] = table(kScalarColumns, {{"t", std::nullopt, "0/6000000", "0/5FFFF00",
                                       "2026-11-26 22:05:00.000001+00:00", "t", "3",
                                       "2026-11-26 22:04:00.000000+00:00", "150018", "t"}});
  results[1] = table(results[1].columns, {});
  results[2].rows = {{"streaming", "10.0.1.10", "5432", "postgresql_node2", "3",
                      "user=replicator host=10.0.1.10"}};
  model::PgObservation obs;
  ASSERT_TRUE(apply_status_results(results, &obs).ok());
  EXPECT_TRUE(obs.in_recovery);
  EXPECT_EQ(obs.received_lsn.value, *parse_lsn("0/6000000"));
  EXPECT_EQ(obs.replayed_lsn.value, *parse_lsn("0/5FFFF00"));
  EXPECT_EQ(obs.replayed_timestamp, std::optional<std::string>("2026-11-26 22:05:00.000001+00:00"));
  EXPECT_TRUE(obs.replay_paused);
  EXPECT_TRUE(obs.pending_restart);
  EXPECT_EQ(obs.timeline.value, 3);
  ASSERT_TRUE(obs.wal_receiver.has_value());
  EXPECT_EQ(obs.wal_receiver->sender_port, 5432);
  EXPECT_EQ(obs.wal_receiver->received_timeline.value, 3);
  obs.accepting_connections = true;
  EXPECT_TRUE(obs.streaming());
  EXPECT_TRUE(obs.replication.empty());
}

TEST(ApplyStatusResults, RejectsAnswersOfTheWrongShape) {
  model::PgObservation obs;
  auto results = primary_results();
  results.pop_back();
  EXPECT_NE(apply_status_results(results, &obs).error().message.find("expected 4 result sets"),
            std::string::npos);
  results = primary_results();
  results[0].rows[0][0] = "maybe";
  EXPECT_NE(apply_status_results(results, &obs).error().message.find("status.in_recovery"),
            std::string::npos);
  results = primary_results();
  results[3].rows[0][5] = "not-an-lsn";
  EXPECT_NE(apply_status_results(results, &obs).error().message.find("restart_lsn"),
            std::string::npos);
}

TEST(StatusQuerySql, IsOneRoundTripOfFourStatements) {
  const std::string& sql = status_query_sql();
  std::size_t statements = 1;
  for (char c : sql) statements += c == ';';
  EXPECT_EQ(statements, 4u);
  EXPECT_NE(sql.find("pg_stat_replication"), std::string::npos);
  EXPECT_NE(sql.find("pg_stat_wal_receiver"), std::string::npos);
  EXPECT_NE(sql.find("pg_replication_slots"), std::string::npos);
}

}  // namespace
}  // namespace pghalo::pg

namespace pghalo::pg {
namespace {

model::PgObservation replica_on(int pid, std::int64_t timeline, bool in_recovery = true) {
  model::PgObservation obs;
  obs.postmaster_pid = pid;
  obs.accepting_connections = true;
  obs.in_recovery = in_recovery;
  obs.timeline = model::TimelineId(timeline);
  return obs;
}

// Lab, seed profile: after the leader on timeline 2 stopped, a replica that had streamed
// timeline 2 reported its control file's 1 for five minutes and refused to lead.
TEST(ReplicaTimelineMemo, KeepsTheStreamedTimelineWhenTheReceiverStops) {
  ReplicaTimelineMemo memo;
  auto streaming = replica_on(100, 2);
  memo.apply(&streaming);
  auto receiver_gone = replica_on(100, 1);
  memo.apply(&receiver_gone);
  EXPECT_EQ(receiver_gone.timeline.value, 2);
}

TEST(ReplicaTimelineMemo, ForgetsOnANewPostmasterOrOutOfRecovery) {
  ReplicaTimelineMemo memo;
  auto before = replica_on(100, 3);
  memo.apply(&before);
  auto restarted = replica_on(200, 1);
  memo.apply(&restarted);
  EXPECT_EQ(restarted.timeline.value, 1);
  auto promoted = replica_on(200, 2, /*in_recovery=*/false);
  memo.apply(&promoted);
  EXPECT_EQ(promoted.timeline.value, 2);
  auto demoted = replica_on(200, 1);
  memo.apply(&demoted);
  EXPECT_EQ(demoted.timeline.value, 1);
}

}  // namespace
}  // namespace pghalo::pg
