#include "ctl/pg_access.h"

#include "ctl/cluster_view.h"

namespace pghalo::ctl {

Result<Credentials> credentials_from(Context& ctx, const std::optional<std::string>& username,
                                     bool ask_password, const std::optional<std::string>& dbname,
                                     const std::optional<config::PgUser>& fallback) {
  Credentials c;
  c.dbname = dbname;
  if (username) {
    c.user = username;
  } else if (fallback && !fallback->username.empty()) {
    c.user = fallback->username;
    c.password = fallback->password;
  }
  if (ask_password) {
    auto answer = ctx.prompter.read_line("Password: ", true);
    if (!answer) return aborted("no password given (end of input)");
    c.password = *answer;
  }
  return c;
}

Result<pg::PgSession::Keywords> pg_target(const model::Member& member,
                                          const Credentials& credentials) {
  auto hp = conn_url_host(member.conn_url);
  if (!hp) {
    return aborted("member " + member.name.value + " publishes no usable conn_url ('" +
                   member.conn_url + "')");
  }
  std::string dbname = "postgres";
  auto path = member.conn_url.find('/', member.conn_url.find("://") + 3);
  if (path != std::string::npos && path + 1 < member.conn_url.size()) {
    dbname = member.conn_url.substr(path + 1, member.conn_url.find_first_of("?#", path) - path - 1);
  }
  pg::PgSession::Keywords keywords = {{"host", hp->host},
                                      {"port", std::to_string(hp->port)},
                                      {"dbname", credentials.dbname.value_or(dbname)},
                                      {"fallback_application_name", "pghaloctl"}};
  if (credentials.user) keywords.emplace_back("user", *credentials.user);
  if (credentials.password) keywords.emplace_back("password", *credentials.password);
  return keywords;
}

std::string describe_target(const model::Member& member, const Credentials& credentials) {
  auto hp = conn_url_host(member.conn_url);
  std::string where = hp ? hp->host + ":" + std::to_string(hp->port) : member.conn_url;
  return member.name.value + " (" + where + ")" +
         (credentials.user ? " as " + *credentials.user : std::string());
}

Result<std::vector<pg::QueryResult>> PgSqlClient::run(const pg::PgSession::Keywords& keywords,
                                                      const std::string& sql, Duration timeout) {
  auto session = pg::PgSession::connect(keywords, std::min<Duration>(timeout, std::chrono::seconds(5)));
  if (!session.ok()) return session.error();
  return (*session)->query(sql, timeout);
}

}  // namespace pghalo::ctl
