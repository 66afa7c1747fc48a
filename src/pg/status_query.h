// The status query (spec 3.2): everything the agent and the REST API need from a running
// server, in one round-trip of four statements, and its parsing into model::PgObservation.
//
// Not here: connecting, pg_controldata, postmaster.pid. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/postgres.h"
#include "pg/pg_session.h"

namespace pghalo::pg {

// The SQL text: one statement for the scalar facts, then pg_stat_replication,
// pg_stat_wal_receiver and pg_replication_slots. Works on a primary and on a replica (PG 10+).
const std::string& status_query_sql();

// Fills the query-derived fields of `observation` (in_recovery, positions, timeline,
// replication, wal_receiver, slots, ...). Errors (kInternal) name what did not parse; the
// observation is then left partly filled and the caller must not trust it.
Status apply_status_results(const std::vector<QueryResult>& results,
                            model::PgObservation* observation);

// A replica's timeline while its WAL receiver is down comes from the last restartpoint in the
// control file, which can lag a timeline switch it already replayed by a whole checkpoint_timeout:
// after its upstream stops, a replica that streamed timeline 2 would report 1 and look as if it
// had missed the promotion. A running replica never goes back a timeline, so the highest one this
// postmaster reported stands until the postmaster changes or the server leaves recovery.
class ReplicaTimelineMemo {
 public:
  // Raises `observation->timeline` to the highest seen for this postmaster while in recovery.
  void apply(model::PgObservation* observation);

 private:
  std::optional<int> postmaster_pid_;
  model::TimelineId highest_;
};

}  // namespace pghalo::pg
