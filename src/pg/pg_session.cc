#include "pg/pg_session.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>

#include "common/strings.h"

namespace pghalo::pg {
namespace {

using SteadyClock = std::chrono::steady_clock;

// poll() sleeps in real time, so these deadlines are on the real monotonic clock.
int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, 1000));
}

enum class WaitOutcome { kReady, kTimeout, kError };

WaitOutcome wait_socket(int socket, bool for_write, SteadyClock::time_point deadline) {
  if (socket < 0) return WaitOutcome::kError;
  // Each poll() sleeps at most 1 s, so the loop ends within the deadline plus one slice.
  while (true) {
    int wait = remaining_ms(deadline);
    pollfd fd{socket, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int rc = ::poll(&fd, 1, wait);
    if (rc > 0) return WaitOutcome::kReady;
    if (rc < 0 && errno != EINTR) return WaitOutcome::kError;
    if (wait == 0) return WaitOutcome::kTimeout;
  }
}

std::string libpq_message(PGconn* conn) {
  std::string message = conn ? PQerrorMessage(conn) : "out of memory";
  return std::string(trim(message));
}

QueryResult to_query_result(PGresult* result) {
  QueryResult out;
  int columns = PQnfields(result);
  for (int c = 0; c < columns; ++c) out.columns.emplace_back(PQfname(result, c));
  int rows = PQntuples(result);
  for (int r = 0; r < rows; ++r) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(result, r, c),
                                     static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace

int QueryResult::column(const std::string& name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::optional<std::string> QueryResult::get(std::size_t row, const std::string& name) const {
  int index = column(name);
  if (index < 0 || row >= rows.size()) return std::nullopt;
  return rows[row][static_cast<std::size_t>(index)];
}

Result<std::unique_ptr<PgSession>> PgSession::connect(const Keywords& keywords, Duration timeout) {
  auto deadline = SteadyClock::now() + timeout;
  Keywords all = keywords;
  long long seconds = std::max<long long>(1, (timeout.count() + 999) / 1000);
  all.emplace_back("connect_timeout", std::to_string(seconds));
  std::vector<const char*> names, values;
  for (const auto& [k, v] : all) {
    names.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  names.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectStartParams(names.data(), values.data(), 0);
  std::unique_ptr<PgSession> session(new PgSession(conn));
  if (!conn || PQstatus(conn) == CONNECTION_BAD) {
    return make_error(ErrorCode::kUnavailable, "cannot connect: " + libpq_message(conn));
  }
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return make_error(ErrorCode::kUnavailable, "cannot connect: " + libpq_message(conn));
    }
    auto outcome = wait_socket(PQsocket(conn), state == PGRES_POLLING_WRITING, deadline);
    if (outcome == WaitOutcome::kTimeout) {
      return make_error(ErrorCode::kTimeout, "no answer from the server within " +
                                                 std::to_string(timeout.count()) + " ms");
    }
    if (outcome == WaitOutcome::kError) {
      return make_error(ErrorCode::kUnavailable, "cannot connect: " + libpq_message(conn));
    }
    state = PQconnectPoll(conn);
  }
  // Server notices (e.g. "terminating connection due to immediate shutdown") would go to
  // stderr by default; the caller learns what matters from errors.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(conn, 1) != 0) {
    return make_error(ErrorCode::kInternal, "cannot make the connection non-blocking");
  }
  return session;
}

PgSession::~PgSession() {
  if (conn_) PQfinish(conn_);  // non-blocking mode: never waits on a stuck server
}

bool PgSession::usable() const { return !broken_ && conn_ && PQstatus(conn_) == CONNECTION_OK; }

Error PgSession::fail(ErrorCode code, const std::string& message) {
  broken_ = true;
  return make_error(code, message);
}

Status PgSession::send(const std::string& sql, SteadyClock::time_point deadline) {
  if (!PQsendQuery(conn_, sql.c_str())) {
    return fail(ErrorCode::kUnavailable, "cannot send query: " + libpq_message(conn_));
  }
  // In non-blocking mode the query may sit in libpq's buffer until the socket takes it.
  while (true) {
    int flushed = PQflush(conn_);
    if (flushed == 0) return ok_status();
    if (flushed < 0) return fail(ErrorCode::kUnavailable, libpq_message(conn_));
    if (wait_socket(PQsocket(conn_), true, deadline) != WaitOutcome::kReady) {
      return fail(ErrorCode::kTimeout, "server did not accept the query in time");
    }
  }
}

Result<PGresult*> PgSession::next_result(SteadyClock::time_point deadline) {
  while (PQisBusy(conn_)) {
    auto outcome = wait_socket(PQsocket(conn_), false, deadline);
    if (outcome == WaitOutcome::kTimeout) return fail(ErrorCode::kTimeout, "no answer in time");
    if (outcome == WaitOutcome::kError || !PQconsumeInput(conn_)) {
      return fail(ErrorCode::kUnavailable, "connection lost: " + libpq_message(conn_));
    }
  }
  return PQgetResult(conn_);
}

Result<std::vector<QueryResult>> PgSession::query(const std::string& sql, Duration timeout) {
  if (!usable()) return make_error(ErrorCode::kUnavailable, "connection is closed");
  auto deadline = SteadyClock::now() + timeout;
  PGHALO_TRY(send(sql, deadline));
  std::vector<QueryResult> results;
  std::optional<std::string> statement_error;
  // One PGresult per statement, then nullptr; every one must be read before the next query.
  while (true) {
    auto next = next_result(deadline);
    if (!next.ok()) return next.error();
    PGresult* result = *next;
    if (!result) break;
    ExecStatusType status = PQresultStatus(result);
    bool copy = status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      results.push_back(to_query_result(result));
    } else if (!copy && !statement_error) {
      statement_error = std::string(trim(PQresultErrorMessage(result)));
    }
    PQclear(result);
    // COPY is not for this API and leaves the connection unusable.
    if (copy) return fail(ErrorCode::kInternal, "unexpected COPY result for: " + sql.substr(0, 60));
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    return fail(ErrorCode::kUnavailable, "connection lost: " + libpq_message(conn_));
  }
  if (statement_error) return make_error(ErrorCode::kFailedPrecondition, *statement_error);
  return results;
}

}  // namespace pghalo::pg
