// One libpq connection whose every wait is bounded on the client side. statement_timeout only
// bounds a server that is alive; a stopped (SIGSTOP), partitioned or overloaded server must
// still not hang the agent, so connecting and querying use libpq's non-blocking API and poll()
// with a deadline, and a timed-out connection is dropped, never cancelled (PQcancel itself
// blocks on a stuck server).
//
// Not here: retries and reconnect policy (callers decide), SQL building. Libpq errors come back
// as Result errors; no exception crosses this edge.
// Thread-safety: a PgSession is used by one thread at a time; distinct sessions are independent.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

struct pg_conn;
struct pg_result;

namespace pghalo::pg {

// One result set of a query, in text format. NULL is nullopt.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  // Column index by name, or -1.
  int column(const std::string& name) const;
  // Value of `name` in `row`; nullopt for NULL, a missing column or a missing row.
  std::optional<std::string> get(std::size_t row, const std::string& name) const;
};

class PgSession {
 public:
  using Keywords = std::vector<std::pair<std::string, std::string>>;

  // Connects within `timeout` (also passed as connect_timeout, rounded up to whole seconds).
  // Errors: kTimeout when the deadline passed, kUnavailable with libpq's message otherwise.
  static Result<std::unique_ptr<PgSession>> connect(const Keywords& keywords, Duration timeout);

  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Sends `sql` (one or several ;-separated statements: one round-trip, one result set per
  // statement) and waits at most `timeout`. Errors: kTimeout (the session is then broken and
  // must be discarded), kUnavailable when the connection failed, kFailedPrecondition with the
  // server's message when a statement failed.
  Result<std::vector<QueryResult>> query(const std::string& sql, Duration timeout);

  // False once the connection failed or a query timed out.
  bool usable() const;

 private:
  using SteadyClock = std::chrono::steady_clock;  // poll() sleeps in real time

  explicit PgSession(pg_conn* conn) : conn_(conn) {}
  // Marks the session broken (it must not be reused) and returns the error.
  Error fail(ErrorCode code, const std::string& message);
  Status send(const std::string& sql, SteadyClock::time_point deadline);
  // The next result of the running query, nullptr after the last one.
  Result<pg_result*> next_result(SteadyClock::time_point deadline);

  pg_conn* conn_;
  bool broken_ = false;
};

}  // namespace pghalo::pg
