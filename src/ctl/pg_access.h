// How pghaloctl reaches PostgreSQL on a member (query, lag, backup): the host and port of the
// member's conn_url, the user and database from the options, else from the configuration,
// else libpq's own defaults (PGUSER, PGPASSWORD, ~/.pgpass). Passwords stay in memory or in a
// private pgpass file, never in argv.
#pragma once

#include <optional>
#include <string>

#include "ctl/context.h"
#include "model/member.h"
#include "pg/pg_session.h"

namespace pghalo::ctl {

struct Credentials {
  std::optional<std::string> user, password, dbname;
};

// -U/--password/-d, falling back to `fallback` (the configuration's superuser or replication
// user) for what is not given; asks for the password when `ask_password`.
Result<Credentials> credentials_from(Context& ctx, const std::optional<std::string>& username,
                                     bool ask_password, const std::optional<std::string>& dbname,
                                     const std::optional<config::PgUser>& fallback);

// libpq keywords for `member` (kFailedPrecondition when its conn_url has no host).
Result<pg::PgSession::Keywords> pg_target(const model::Member& member,
                                          const Credentials& credentials);

// "node1 (127.0.0.1:5432) as postgres", for messages.
std::string describe_target(const model::Member& member, const Credentials& credentials);

// SqlClient over pg::PgSession.
class PgSqlClient final : public SqlClient {
 public:
  Result<std::vector<pg::QueryResult>> run(const pg::PgSession::Keywords& keywords,
                                           const std::string& sql, Duration timeout) override;
};

}  // namespace pghalo::ctl
