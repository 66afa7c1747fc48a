// libpq connection strings and the pgpass file (spec 4.7, 4.8): primary_conninfo for a standby,
// the DSN handed to pg_basebackup/pg_rewind, and the pgpass lines that carry the passwords.
// Passwords never appear in a rendered DSN: they travel through the pgpass file.
//
// Not here: opening connections (pg_session.h), file I/O. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pg/postgres.h"

namespace pghalo::pg {

// A libpq keyword value, backslash-escaping ', \ and space (as Patroni does; libpq accepts it).
std::string escape_conninfo_value(std::string_view value);

// primary_conninfo in Patroni's keyword order: user, passfile (when the upstream has a password
// and `passfile` is not empty), host, port, sslmode (default prefer), sslcompression, sslcert,
// sslkey, sslpassword, sslrootcert, sslcrl, sslcrldir, application_name, krbsrvname, gssencmode
// (default prefer, PG 12+), channel_binding (default prefer, PG 13+), target_session_attrs.
// Options outside that list are dropped; there is no dbname.
std::string render_primary_conninfo(const SourceServer& upstream,
                                    const std::string& application_name,
                                    const std::string& passfile, int major_version);

// The DSN for pg_basebackup --dbname / pg_rewind --source-server: dbname, user, host, port and
// the SSL options, without password or passfile (PGPASSFILE supplies it).
std::string render_tool_dsn(const SourceServer& source);

// libpq keyword/value pairs for an in-process connection to `source` (password included: it
// stays in memory, never in argv or logs). `extra` is appended (connect_timeout, options, ...).
std::vector<std::pair<std::string, std::string>> connection_keywords(
    const SourceServer& source, const std::vector<std::pair<std::string, std::string>>& extra);

// pgpass lines, `host:port:database:user:password` with ':' and '\' escaped; one line per host
// of a comma-separated host list; entries without a password are skipped.
std::string render_pgpass(const std::vector<PgPassEntry>& entries);

// The pgpass entry that lets tools log into `source`; nullopt when it has no password.
std::optional<PgPassEntry> pgpass_entry_for(const SourceServer& source);

}  // namespace pghalo::pg
