#include "ctl/testing/ctl_fixture.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ctl/table.h"

namespace pghalo::ctl::testing {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string endpoint_of(const std::string& url) {
  auto scheme = url.find("://");
  auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? "/" : url.substr(path);
}

}  // namespace

void FakeRest::on(const std::string& method_and_url, Handler handler) {
  std::lock_guard lock(mu_);
  handlers_[method_and_url] = std::move(handler);
}

void FakeRest::reply(const std::string& method_and_url, long status, std::string body) {
  on(method_and_url, [status, body](const RestRequest&) -> Result<RestResponse> {
    return RestResponse{status, body};
  });
}

Result<RestResponse> FakeRest::send(const RestRequest& request) {
  Handler handler;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    auto it = handlers_.find(request.method + " " + request.url);
    if (it == handlers_.end()) it = handlers_.find(request.method + " *");
    if (it != handlers_.end()) handler = it->second;
  }
  if (!handler) {
    return make_error(ErrorCode::kUnavailable,
                      request.method + " " + request.url + ": Connection refused");
  }
  return handler(request);
}

std::vector<RestRequest> FakeRest::requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<RestRequest> FakeRest::requests_to(const std::string& method,
                                               const std::string& endpoint) {
  std::vector<RestRequest> out;
  for (const auto& r : requests()) {
    if (r.method == method && endpoint_of(r.url) == endpoint) out.push_back(r);
  }
  return out;
}

Result<std::vector<pg::QueryResult>> FakeSql::run(const pg::PgSession::Keywords& keywords,
                                                  const std::string& sql, Duration) {
  statements.push_back(sql);
  if (!handler) return make_error(ErrorCode::kUnavailable, "connection refused");
  return handler(keywords, sql);
}

Result<process::ProcessResult> FakeRunner::run(const process::ProcessSpec& spec) {
  runs.push_back(spec);
  if (!handler) {
    process::ProcessResult ok;
    ok.exit_code = 0;
    return ok;
  }
  return handler(spec);
}

std::optional<std::string> FakePrompter::read_line(const std::string& question, bool) {
  questions.push_back(question);
  if (answers.empty()) return std::nullopt;
  std::string answer = answers.front();
  answers.erase(answers.begin());
  return answer;
}

std::string patroni_status(const std::string& role, const std::string& state, std::uint64_t lsn,
                           int timeline) {
  nlohmann::json doc = {{"state", state}, {"role", role}, {"server_version", 150018},
                        {"timeline", timeline}};
  if (role == "master" || role == "primary") {
    doc["xlog"] = {{"location", lsn}};
  } else {
    doc["xlog"] = {{"received_location", lsn}, {"replayed_location", lsn}, {"paused", false}};
  }
  doc["patroni"] = {{"version", "3.0.2"}, {"scope", "pglab"}};
  return doc.dump();
}

CtlFixture::CtlFixture(std::string scope, std::string namespace_) {
  settings.source = "test.yml";
  settings.scope = std::move(scope);
  settings.namespace_ = std::move(namespace_);
  settings.etcd.hosts = {"127.0.0.1:2379"};
  settings.timeout = std::chrono::seconds(5);
}

void CtlFixture::load_scenario(const std::string& scenario) {
  auto doc = nlohmann::json::parse(read_text(std::string(PGHALO_TEST_DATA_DIR) +
                                             "/patroni-fixtures/" + scenario + "/etcd-keys.json"));
  for (const auto& entry : doc["kvs"]) {
    kv.put_direct(entry["key"].get<std::string>(), entry["value_raw"].get<std::string>());
  }
}

void CtlFixture::put(const std::string& relative_key, const std::string& value) {
  kv.put_direct(settings.namespace_ + "/" + *settings.scope + "/" + relative_key, value);
}

void CtlFixture::serve_statuses() {
  auto cluster = open_store(context(), *settings.scope)->read_cluster();
  for (const auto& [name, member] : cluster->members) {
    std::string role = member.role_text;
    std::uint64_t lsn = member.xlog_location ? member.xlog_location->value : 0;
    int timeline = member.timeline ? static_cast<int>(member.timeline->value) : 1;
    rest.reply("GET " + member.api_url, 200, patroni_status(role, member.state, lsn, timeline));
  }
}

Context& CtlFixture::context() {
  if (!ctx) {
    ctx.emplace(Context{settings, kv, rest, sql, runner, clock,
                        [this](Duration d) { clock.advance(d); }, out, err, prompter});
  }
  return *ctx;
}

int CtlFixture::run(const std::vector<std::string>& args) {
  CliDeps deps;
  deps.environment = {{"HOME", "/nonexistent"}};
  deps.environment.insert(run_environment.begin(), run_environment.end());
  deps.stdout_is_terminal = run_on_terminal;
  deps.host.is_directory = [](const std::string&) { return true; };
  deps.host.is_executable_file = [](const std::string&) { return true; };
  deps.make_kv = [this](const CtlSettings&) -> std::unique_ptr<dcs::etcd::KvApi> {
    struct Borrowed final : dcs::etcd::KvApi {
      dcs::etcd::KvApi& kv;
      explicit Borrowed(dcs::etcd::KvApi& k) : kv(k) {}
      Result<dcs::etcd::RangeResponse> range(const std::string& k, const std::string& e, bool s,
                                             Duration t) override {
        return kv.range(k, e, s, t);
      }
      Result<model::Revision> put(const dcs::etcd::PutOp& op, Duration t) override {
        return kv.put(op, t);
      }
      Result<dcs::etcd::TxnResponse> txn(const dcs::etcd::TxnRequest& r, Duration t) override {
        return kv.txn(r, t);
      }
      Result<std::int64_t> delete_range(const dcs::etcd::DeleteOp& op, Duration t) override {
        return kv.delete_range(op, t);
      }
      Result<dcs::etcd::LeaseGrant> lease_grant(std::int64_t ttl, Duration t) override {
        return kv.lease_grant(ttl, t);
      }
      Result<std::optional<std::int64_t>> lease_keepalive(model::LeaseId id, Duration t) override {
        return kv.lease_keepalive(id, t);
      }
      Status lease_revoke(model::LeaseId id, Duration t) override { return kv.lease_revoke(id, t); }
      Status watch(const std::string& k, const std::string& e, model::Revision r,
                   const std::function<bool(const dcs::etcd::WatchBatch&)>& f,
                   const std::atomic<bool>& s) override {
        return kv.watch(k, e, r, f, s);
      }
    };
    return std::make_unique<Borrowed>(kv);
  };
  deps.make_rest = [this](const CtlSettings&) -> std::unique_ptr<RestClient> {
    struct Borrowed final : RestClient {
      RestClient& rest;
      explicit Borrowed(RestClient& r) : rest(r) {}
      Result<RestResponse> send(const RestRequest& r) override { return rest.send(r); }
    };
    return std::make_unique<Borrowed>(rest);
  };
  deps.sql = &sql;
  deps.runner = &runner;
  deps.clock = &clock;
  deps.sleep = [this](Duration d) { clock.advance(d); };
  deps.out = &out;
  deps.err = &err;
  deps.prompter = &prompter;
  // A client's configuration file, as the lab's patronictl.yml: scope, namespace and etcd.
  std::string config = "/tmp/pghaloctl-test-" + std::to_string(::getpid()) + ".yml";
  std::ofstream(config) << "scope: " << *settings.scope << "\nnamespace: " << settings.namespace_
                        << "\netcd3:\n  hosts: 127.0.0.1:2379\n";
  // Removed however run_cli ends: a throwing test must not leave the file in /tmp.
  struct RemoveOnExit {
    const std::string& path;
    ~RemoveOnExit() { std::remove(path.c_str()); }
  } remove_config{config};
  std::vector<std::string> with_config = {"-c", config};
  with_config.insert(with_config.end(), args.begin(), args.end());
  return run_cli(with_config, deps);
}

std::string golden(const std::string& name, const std::string& actual) {
  std::string path = std::string(PGHALO_CTL_GOLDEN_DIR) + "/" + name;
  const char* update = std::getenv("PGHALO_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    return actual;
  }
  return read_text(path);
}

std::string patronictl_output(const std::string& scenario, const std::string& file) {
  std::string text = read_text(std::string(PGHALO_TEST_DATA_DIR) + "/patroni-fixtures/" +
                               scenario + "/patronictl/" + file);
  std::string out;
  auto lines = split_lines(text);
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the file's final newline
  for (const auto& line : lines) {
    if (line.rfind("$ ", 0) == 0 || line.rfind("# rc=", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

}  // namespace pghalo::ctl::testing
