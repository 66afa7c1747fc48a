#include "pg/conninfo.h"

#include <array>

#include "common/strings.h"

namespace pghalo::pg {
namespace {

constexpr std::array<std::string_view, 8> kSslKeywords = {
    "sslmode",     "sslcompression", "sslcert", "sslkey",
    "sslpassword", "sslrootcert",    "sslcrl",  "sslcrldir"};

std::string option(const SourceServer& s, const std::string& name, const std::string& fallback) {
  auto it = s.options.find(name);
  return it == s.options.end() ? fallback : it->second;
}

void add(std::string& out, std::string_view keyword, const std::string& value) {
  if (value.empty()) return;
  if (!out.empty()) out += ' ';
  out += keyword;
  out += '=';
  out += escape_conninfo_value(value);
}

std::string escape_pgpass_field(const std::string& value) {
  if (value.empty()) return "*";
  if (value == "*") return value;
  std::string out;
  for (char c : value) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string escape_conninfo_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\'' || c == '\\' || c == ' ') out += '\\';
    out += c;
  }
  return out;
}

std::string render_primary_conninfo(const SourceServer& upstream,
                                    const std::string& application_name,
                                    const std::string& passfile, int major_version) {
  std::string out;
  add(out, "user", upstream.user);
  if (upstream.password && !passfile.empty()) add(out, "passfile", passfile);
  add(out, "host", upstream.host);
  add(out, "port", std::to_string(upstream.port));
  for (auto keyword : kSslKeywords) {
    std::string name(keyword);
    add(out, keyword, option(upstream, name, name == "sslmode" ? "prefer" : ""));
  }
  add(out, "application_name", application_name);
  add(out, "krbsrvname", option(upstream, "krbsrvname", ""));
  add(out, "gssencmode", option(upstream, "gssencmode", major_version >= 12 ? "prefer" : ""));
  add(out, "channel_binding",
      option(upstream, "channel_binding", major_version >= 13 ? "prefer" : ""));
  add(out, "target_session_attrs", option(upstream, "target_session_attrs", ""));
  return out;
}

std::string render_tool_dsn(const SourceServer& source) {
  std::string out;
  add(out, "dbname", source.dbname.empty() ? std::string("postgres") : source.dbname);
  add(out, "user", source.user);
  add(out, "host", source.host);
  add(out, "port", std::to_string(source.port));
  for (auto keyword : kSslKeywords) add(out, keyword, option(source, std::string(keyword), ""));
  for (const char* keyword : {"gssencmode", "channel_binding", "target_session_attrs"}) {
    add(out, keyword, option(source, keyword, ""));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> connection_keywords(
    const SourceServer& source, const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> keywords;
  keywords.emplace_back("host", source.host);
  keywords.emplace_back("port", std::to_string(source.port));
  keywords.emplace_back("user", source.user);
  keywords.emplace_back("dbname", source.dbname.empty() ? "postgres" : source.dbname);
  if (source.password) keywords.emplace_back("password", *source.password);
  for (const auto& [name, value] : source.options) {
    if (name != "password" && name != "passfile") keywords.emplace_back(name, value);
  }
  for (const auto& kv : extra) keywords.push_back(kv);
  return keywords;
}

std::string render_pgpass(const std::vector<PgPassEntry>& entries) {
  std::string out;
  for (const auto& entry : entries) {
    if (entry.password.empty()) continue;
    std::string rest = ":" + escape_pgpass_field(entry.port) + ":" +
                       escape_pgpass_field(entry.database) + ":" + escape_pgpass_field(entry.user) +
                       ":" + escape_pgpass_field(entry.password);
    for (const auto& host : split(entry.host.empty() ? "*" : entry.host, ',')) {
      out += escape_pgpass_field(host) + rest + "\n";
    }
  }
  return out;
}

std::optional<PgPassEntry> pgpass_entry_for(const SourceServer& source) {
  if (!source.password || source.password->empty()) return std::nullopt;
  PgPassEntry entry;
  entry.host = source.host.empty() ? "*" : source.host;
  entry.port = std::to_string(source.port);
  entry.user = source.user.empty() ? "*" : source.user;
  entry.password = *source.password;
  return entry;
}

}  // namespace pghalo::pg
