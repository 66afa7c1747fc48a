// Fills passwords the configuration does not carry from the pgpass file, as an operator
// following the seed provides them (the seed's nodes 2 and 3 name no replication password).
// Pure parsing plus one file read; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace pghalo::app {

// The password of the first pgpass line whose user field is `user` (or `*`), ignoring host,
// port and database. Handles `\:` and `\\` escapes and comments.
std::optional<std::string> pgpass_password(const std::string& pgpass_text, const std::string& user);

// For each of superuser/replication/rewind without a password, looks it up in the pgpass file.
// Returns a note for the log naming what was filled in (never the password).
std::vector<std::string> fill_passwords_from_pgpass(config::Config& config);

}  // namespace pghalo::app
