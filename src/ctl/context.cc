#include "ctl/context.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/strings.h"

namespace pghalo::ctl {

Result<std::string> cluster_name(const Context& ctx, const std::optional<std::string>& given) {
  if (given && !given->empty()) return *given;
  if (ctx.settings.scope) return *ctx.settings.scope;
  return invalid("no cluster name: give it as an argument, or use a configuration with `scope` (" +
                 ctx.settings.source + " has none)");
}

std::unique_ptr<dcs::etcd::EtcdStore> open_store(Context& ctx, const std::string& scope) {
  dcs::StoreTiming timing;
  timing.retry_timeout = std::chrono::duration_cast<std::chrono::seconds>(ctx.settings.timeout);
  if (timing.retry_timeout < std::chrono::seconds(1)) timing.retry_timeout = std::chrono::seconds(1);
  return std::make_unique<dcs::etcd::EtcdStore>(ctx.kv, ctx.clock, ctx.settings.namespace_, scope,
                                                timing);
}

Result<model::ClusterState> read_cluster(Context& ctx, dcs::ClusterStore& store,
                                         const std::string& scope) {
  auto cluster = store.read_cluster();
  if (cluster.ok()) return cluster;
  std::string from = ctx.settings.etcd_source.empty() ? ctx.settings.source
                                                      : ctx.settings.etcd_source;
  return make_error(cluster.error().code,
                    "cannot read cluster '" + scope + "' from etcd: " + cluster.error().message +
                        "\nconfigured endpoints: " + join(ctx.settings.etcd.hosts, ", ") + " (" +
                        from + "). Check that etcd runs and has quorum (etcdctl endpoint health) and "
                        "that the certificates are the right ones.");
}

Result<bool> confirm(Context& ctx, const std::string& question) {
  auto answer = ctx.prompter.read_line(question + " [y/N]: ", false);
  if (!answer) {
    return aborted("no answer to \"" + question + "\": run with --force to skip the questions");
  }
  std::string a = to_lower(trim(*answer));
  return a == "y" || a == "yes";
}

Result<std::string> ask(Context& ctx, const std::string& question,
                        const std::optional<std::string>& default_value) {
  std::string text = question + (default_value ? " [" + *default_value + "]" : "") + ": ";
  auto answer = ctx.prompter.read_line(text, false);
  if (!answer) {
    return aborted("no answer to \"" + question + "\": give it as an option or use --force");
  }
  std::string a = std::string(trim(*answer));
  if (a.empty() && default_value) return *default_value;
  return a;
}

std::string local_timestamp(WallTime t, int fraction_digits) {
  auto since_epoch = t.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds);
  std::time_t tt = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buffer;
  if (fraction_digits > 0) {
    char fraction[16];
    std::snprintf(fraction, sizeof(fraction), ".%06lld", static_cast<long long>(micros.count()));
    out += std::string(fraction).substr(0, static_cast<std::size_t>(1 + std::min(fraction_digits, 6)));
  }
  return out;
}

std::string format_duration(std::chrono::nanoseconds d) {
  double s = std::chrono::duration<double>(d).count();
  char buffer[64];
  if (s < 10) {
    std::snprintf(buffer, sizeof(buffer), "%.1f s", s);
  } else if (s < 120) {
    std::snprintf(buffer, sizeof(buffer), "%.0f s", s);
  } else {
    long long total = std::llround(s);
    std::snprintf(buffer, sizeof(buffer), "%lld min %02lld s", total / 60, total % 60);
  }
  return buffer;
}

std::string human_bytes(std::uint64_t bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  return buffer;
}

Status watching(Context& ctx, std::optional<double> watch, std::optional<int> count, bool clear,
                const std::function<Status()>& one) {
  bool clear_screen = clear && watch.has_value() && ctx.interactive;
  Duration interval(static_cast<long long>(std::max(0.1, watch.value_or(2)) * 1000));
  for (int done = 0;; ++done) {
    if (clear_screen) ctx.out << "\033[H\033[2J";
    PGHALO_TRY(one());
    ctx.out.flush();
    if (!watch || (count && done + 1 >= *count) || ctx.interrupted()) return ok_status();
    ctx.sleep(interval);
    if (ctx.interrupted()) return ok_status();
  }
}

Error aborted(const std::string& what) { return make_error(ErrorCode::kFailedPrecondition, what); }

Error invalid(const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, message);
}

}  // namespace pghalo::ctl
