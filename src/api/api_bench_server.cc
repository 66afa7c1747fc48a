// api_bench_server: serves the REST API over a fixed snapshot (the healthy leader of the
// recorded fixtures) so the HTTP path can be measured alone, e.g.
//   api_bench_server --port 19150 --seconds 30 &
//   wrk -t2 -c32 -d10s http://127.0.0.1:19150/primary
// Listens on 127.0.0.1 only and exits after --seconds (default 60) or on SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "api/http_server.h"
#include "api/rest_api.h"
#include "api/testing/snapshots.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

int usage() {
  std::fprintf(stderr,
               "usage: api_bench_server --port P [--seconds N] [--io-threads N] "
               "[--certfile F --keyfile F]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pghalo;
  int port = 0, seconds = 60;
  api::HttpServerOptions options;
  api::TlsOptions tls;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--port") {
      port = std::atoi(value.c_str());
    } else if (flag == "--seconds") {
      seconds = std::atoi(value.c_str());
    } else if (flag == "--io-threads") {
      options.io_threads = std::atoi(value.c_str());
    } else if (flag == "--certfile") {
      tls.certfile = value;
    } else if (flag == "--keyfile") {
      tls.keyfile = value;
    } else {
      return usage();
    }
  }
  if (port <= 0 || seconds <= 0) return usage();
  options.listen = "127.0.0.1:" + std::to_string(port);
  if (!tls.certfile.empty()) options.tls = tls;

  SystemClock clock;
  api::SnapshotHolder snapshots;
  auto snapshot = api::testing::leader_snapshot(clock.now());
  // Keep the lock and the view valid for the whole run.
  snapshot.lock_valid_until = clock.now() + std::chrono::hours(1);
  snapshot.cluster_view_at = clock.now() + std::chrono::hours(1);
  snapshot.next_cycle_at = clock.now() + std::chrono::hours(1);
  snapshots.publish(std::make_shared<model::StatusSnapshot>(std::move(snapshot)));
  api::RealWaiter waiter;
  api::RestApi rest({}, snapshots, [](model::Command) { return false; }, clock, waiter);
  api::HttpServer server(options, rest);
  if (Status started = server.start(); !started.ok()) {
    std::fprintf(stderr, "api_bench_server: %s\n", started.error().message.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("serving on %s for %d s\n", options.listen.c_str(), seconds);
  std::fflush(stdout);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!stop_requested && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server.stop();
  return 0;
}
