#include "app/credentials.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace pghalo::app {
namespace {

// Splits a pgpass line into its 5 fields, undoing the \: and \\ escapes.
std::vector<std::string> pgpass_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      fields.back().push_back(line[++i]);
    } else if (c == ':' && fields.size() < 5) {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

}  // namespace

std::optional<std::string> pgpass_password(const std::string& pgpass_text, const std::string& user) {
  std::istringstream in(pgpass_text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto fields = pgpass_fields(line);
    if (fields.size() != 5) continue;
    if (fields[3] == user || fields[3] == "*") return fields[4];
  }
  return std::nullopt;
}

std::vector<std::string> fill_passwords_from_pgpass(config::Config& config) {
  std::vector<std::string> notes;
  std::ifstream file(config.postgresql.pgpass);
  if (!file) return notes;
  std::stringstream text;
  text << file.rdbuf();
  auto fill = [&](config::PgUser& user, const char* role) {
    if (user.password || user.username.empty()) return;
    if (auto pw = pgpass_password(text.str(), user.username)) {
      user.password = *pw;
      notes.push_back(std::string(role) + " user '" + user.username + "': password taken from " +
                      config.postgresql.pgpass);
    }
  };
  fill(config.postgresql.replication, "replication");
  if (config.postgresql.rewind) fill(*config.postgresql.rewind, "rewind");
  // The superuser is derived as a password-less local socket login; do not invent one.
  return notes;
}

}  // namespace pghalo::app
