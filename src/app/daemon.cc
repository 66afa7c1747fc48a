#include "app/daemon.h"

#include <fstream>
#include <sstream>

#include "agent/agent.h"
#include "agent/fencer.h"
#include "agent/job_runner.h"
#include "agent/runner.h"
#include "api/http_server.h"
#include "api/rest_api.h"
#include "api/snapshot_source.h"
#include "api/waiter.h"
#include "app/credentials.h"
#include "common/log.h"
#include "common/random.h"
#include "dcs/etcd/etcd_store.h"
#include "dcs/etcd/gateway_client.h"
#include "dcs/etcd/watcher.h"
#include "peer/curl_peer_client.h"
#include "pg/bin_dir.h"
#include "pg/local_postgres.h"
#include "process/process_runner.h"

namespace pghalo::app {
namespace {

std::pair<std::string, int> split_listen(const std::string& listen, int default_port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return {listen, default_port};
  int port = std::atoi(listen.c_str() + colon + 1);
  return {listen.substr(0, colon), port > 0 ? port : default_port};
}

// Where the local superuser connects: the first unix_socket_directories entry, else Debian's
// default when it is usable, else /tmp.
std::string socket_dir(const config::Config& c) {
  auto it = c.postgresql.parameters.find("unix_socket_directories");
  if (it != c.postgresql.parameters.end()) {
    std::string first = it->second.substr(0, it->second.find(','));
    while (!first.empty() && first.front() == ' ') first.erase(0, 1);
    if (!first.empty()) return first;
  }
  if (access("/var/run/postgresql", W_OK) == 0) return "/var/run/postgresql";
  return "/tmp";
}

dcs::etcd::GatewayOptions gateway_options(const config::Config& c, const config::DynamicConfig& d) {
  dcs::etcd::GatewayOptions o;
  o.endpoints = c.etcd.hosts;
  o.protocol = c.etcd.protocol;
  o.tls.cacert = c.etcd.cacert.value_or("");
  o.tls.cert = c.etcd.cert.value_or("");
  o.tls.key = c.etcd.key.value_or("");
  o.tls.key_password = c.etcd.cert_key_password.value_or("");
  o.username = c.etcd.username.value_or("");
  o.password = c.etcd.password.value_or("");
  o.use_proxies = c.etcd.use_proxies;
  o.ttl = std::chrono::seconds(d.ttl);
  o.loop_wait = std::chrono::seconds(d.loop_wait);
  o.retry_timeout = std::chrono::seconds(d.retry_timeout);
  return o;
}

pg::LocalPostgresSettings postgres_settings(const config::Config& c, const std::string& bin_dir) {
  pg::LocalPostgresSettings s;
  s.data_dir = c.postgresql.data_dir;
  s.config_dir = c.postgresql.config_dir;
  s.bin_dir = bin_dir;
  s.pgpass_path = c.postgresql.pgpass;
  auto [host, port] = split_listen(c.postgresql.listen, 5432);
  s.listen_addresses = host;
  s.port = port;
  s.unix_socket_dir = socket_dir(c);
  s.superuser = c.postgresql.superuser.username;
  s.superuser_password = c.postgresql.superuser.password;
  s.superuser_options = c.postgresql.superuser.options;
  s.database = c.postgresql.database;
  s.replication_user = c.postgresql.replication.username;
  s.replication_password = c.postgresql.replication.password;
  s.replication_options = c.postgresql.replication.options;
  s.member_name = c.name;
  s.scope = c.scope;
  s.pg_ctl_timeout = std::chrono::seconds(c.postgresql.pg_ctl_timeout);
  s.basebackup_options = c.postgresql.basebackup_options;
  return s;
}

api::HttpServerOptions http_options(const config::Config& c) {
  api::HttpServerOptions o;
  o.listen = c.restapi.listen;
  for (const auto& [k, v] : c.restapi.http_extra_headers) o.extra_headers.emplace_back(k, v);
  if (c.restapi.certfile) {
    api::TlsOptions tls;
    tls.certfile = *c.restapi.certfile;
    tls.keyfile = c.restapi.keyfile.value_or("");
    tls.keyfile_password = c.restapi.keyfile_password.value_or("");
    tls.cafile = c.restapi.cafile.value_or("");
    tls.ciphers = c.restapi.ciphers.value_or("");
    tls.verify_client = c.restapi.verify_client;
    o.tls = tls;
    for (const auto& [k, v] : c.restapi.https_extra_headers) o.extra_headers.emplace_back(k, v);
  }
  return o;
}

api::RestApiOptions rest_options(const config::Config& c) {
  api::RestApiOptions o;
  o.access.allowlist = c.restapi.allowlist;
  o.access.allowlist_include_members = c.restapi.allowlist_include_members;
  if (c.restapi.authentication) {
    o.access.username = c.restapi.authentication->username;
    o.access.password = c.restapi.authentication->password;
  }
  o.access.tls = c.restapi.certfile.has_value();
  o.access.verify_client = c.restapi.verify_client;
  return o;
}

peer::CurlPeerOptions peer_options(const config::Config& c) {
  peer::CurlPeerOptions o;
  const auto& auth = c.ctl.authentication ? c.ctl.authentication : c.restapi.authentication;
  if (auth) {
    o.username = auth->username;
    o.password = auth->password;
  }
  o.cacert = c.ctl.cacert.value_or(c.restapi.cafile.value_or(""));
  // Patroni 3.0.2 presents ctl's client certificate to peers, else restapi's (spec 3.6).
  o.certfile = c.ctl.certfile.value_or(c.restapi.certfile.value_or(""));
  o.keyfile = c.ctl.keyfile.value_or(c.ctl.certfile ? "" : c.restapi.keyfile.value_or(""));
  o.insecure = c.ctl.insecure || o.certfile.empty();  // Patroni verifies peers only with a client cert
  return o;
}

class AgentSnapshots final : public api::SnapshotSource {
 public:
  explicit AgentSnapshots(const agent::Agent& agent) : agent_(agent) {}
  std::shared_ptr<const model::StatusSnapshot> current() const override { return agent_.snapshot(); }

 private:
  const agent::Agent& agent_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

struct Daemon::Parts {
  config::Config config;
  std::string config_path;
  SystemClock clock;
  SeededRandom random = make_entropy_random();
  SeededRandom watch_random = make_entropy_random();
  std::unique_ptr<dcs::etcd::GatewayClient> kv;
  std::unique_ptr<dcs::etcd::EtcdStore> store;
  process::PosixProcessRunner runner;
  std::unique_ptr<pg::LocalPostgres> postgres;
  std::unique_ptr<peer::CurlPeerClient> peers;
  std::unique_ptr<agent::AgentRunner> loop;
  std::unique_ptr<agent::ThreadJobRunner> jobs;
  std::unique_ptr<agent::FencingThread> fencer;
  std::unique_ptr<agent::Agent> agent;
  std::unique_ptr<dcs::etcd::Watcher> watcher;
  std::unique_ptr<AgentSnapshots> snapshots;
  api::RealWaiter waiter;
  std::unique_ptr<api::RestApi> rest;
  std::unique_ptr<api::HttpServer> http;
};

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Daemon::~Daemon() {
  if (!parts_) return;
  if (parts_->http) parts_->http->stop();
  if (parts_->watcher) parts_->watcher->stop();
}

Result<std::unique_ptr<Daemon>> Daemon::create(config::Config config, std::string config_path) {
  auto p = std::make_unique<Parts>();
  for (const auto& note : fill_passwords_from_pgpass(config)) log::info("credentials", note);
  auto bin = pg::resolve_bin_dir(config.postgresql.bin_dir);
  if (!bin.ok()) return bin.error();
  if (bin->warning) log::warn("bin_dir", *bin->warning);

  std::vector<config::Diagnostic> ignored;
  config::DynamicConfig initial = config::parse_dynamic_config(config.bootstrap.dcs, &ignored);
  p->config = config;
  p->config_path = std::move(config_path);
  p->kv = std::make_unique<dcs::etcd::GatewayClient>(gateway_options(config, initial), p->clock, p->random);
  p->store = std::make_unique<dcs::etcd::EtcdStore>(
      *p->kv, p->clock, config.namespace_, config.scope,
      dcs::StoreTiming{std::chrono::seconds(initial.ttl), std::chrono::seconds(initial.retry_timeout)});
  p->postgres = std::make_unique<pg::LocalPostgres>(postgres_settings(config, bin->bin_dir), p->runner, p->clock);
  p->peers = std::make_unique<peer::CurlPeerClient>(peer_options(config));

  Parts* raw = p.get();
  p->jobs = std::make_unique<agent::ThreadJobRunner>(p->clock, [raw] {
    if (raw->loop) raw->loop->wake();
  });
  p->fencer = std::make_unique<agent::FencingThread>(
      [raw] { (void)raw->postgres->signal_immediate_stop(); },
      std::make_unique<agent::FenceFile>(agent::fence_file_path(config.fence_file, config.postgresql.data_dir)));

  agent::AgentDeps deps;
  deps.clock = &p->clock;
  deps.store = p->store.get();
  deps.probe = p->postgres.get();
  deps.postgres = p->postgres.get();
  deps.peers = p->peers.get();
  deps.jobs = p->jobs.get();
  deps.fencer = p->fencer.get();
  std::string data_dir = config.postgresql.data_dir;
  deps.read_timeline_history = [data_dir](std::int64_t tl) {
    char name[32];
    std::snprintf(name, sizeof name, "%08llX.history", static_cast<unsigned long long>(tl));
    return read_file(data_dir + "/pg_wal/" + name);
  };
  deps.reload_local_config = [raw]() -> std::optional<config::Config> {
    auto loaded = config::load_local_config(raw->config_path);
    for (const auto& d : loaded.diagnostics) log::warn("config_reload", d.to_string());
    if (!loaded.ok()) return std::nullopt;
    fill_passwords_from_pgpass(*loaded.config);
    return *loaded.config;
  };
  deps.on_dynamic_config = [raw](const config::DynamicConfig& d) {
    raw->kv->set_timing(std::chrono::seconds(d.ttl), std::chrono::seconds(d.loop_wait),
                        std::chrono::seconds(d.retry_timeout));
  };
  p->agent = std::make_unique<agent::Agent>(config, deps);
  p->loop = std::make_unique<agent::AgentRunner>(*p->agent, p->clock);

  // kMemberAdded: the leader creates a new member's replication slot now rather than at its next
  // loop_wait, so a fresh replica does not retry a missing slot (bench: ~10 s of a bootstrap).
  const unsigned wake_on = dcs::etcd::kLeaderChanged | dcs::etcd::kLeaderDeleted |
                           dcs::etcd::kConfigChanged | dcs::etcd::kFailoverChanged |
                           dcs::etcd::kSyncChanged | dcs::etcd::kMemberAdded;
  p->watcher = std::make_unique<dcs::etcd::Watcher>(
      *p->kv, p->store->layout(), p->watch_random, [raw, wake_on](unsigned changes) {
        if ((changes & wake_on) && raw->loop) raw->loop->wake();
      });

  p->snapshots = std::make_unique<AgentSnapshots>(*p->agent);
  p->rest = std::make_unique<api::RestApi>(
      rest_options(config), *p->snapshots,
      [raw](model::Command command) {
        bool queued = raw->agent->post(std::move(command));
        raw->loop->wake();
        return queued;
      },
      p->clock, p->waiter);
  p->http = std::make_unique<api::HttpServer>(http_options(config), *p->rest);
  p->rest->set_reload_hook([raw] { (void)raw->http->reload_tls(); });
  return std::unique_ptr<Daemon>(new Daemon(std::move(p)));
}

int Daemon::run() {
  Parts& p = *parts_;
  Status listening = p.http->start();
  if (!listening.ok()) {
    log::error("restapi", "cannot serve the REST API on " + p.config.restapi.listen + ": " +
                              listening.error().message);
    return 1;
  }
  log::info("restapi", "serving the REST API", {{"listen", p.config.restapi.listen}});
  p.watcher->start();
  auto fatal = p.loop->run();
  p.watcher->stop();
  p.http->stop();
  if (fatal) {
    log::error("exit", "pghalo stops: " + *fatal);
    return 1;
  }
  log::info("exit", "pghalo stopped");
  return 0;
}

void Daemon::stop() { parts_->loop->request_stop(); }

void Daemon::reload() {
  // Certificate files may have been fixed or moved: the etcd client and the REST server pick
  // them up now; the agent re-reads the rest of the file at its next cycle (ReloadCommand).
  Parts& p = *parts_;
  auto loaded = config::load_local_config(p.config_path);
  if (loaded.ok()) {
    config::DynamicConfig unused;
    p.kv->reload(gateway_options(*loaded.config, unused).tls);
  } else {
    p.kv->reload();
  }
  (void)p.http->reload_tls();
  model::Command command;
  command.body = model::ReloadCommand{};
  p.agent->post(std::move(command));
  p.loop->wake();
}

}  // namespace pghalo::app
