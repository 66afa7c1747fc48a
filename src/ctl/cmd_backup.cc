// backup: what the seed's pg_backup.sh does, done carefully: the leader comes from etcd (not
// from a node that may be down), pg_basebackup runs with a deadline and never waits for a
// password, the result is verified with pg_verifybackup (which reads plain directories only, so
// the tars are unpacked into a scratch directory first), a failed backup leaves nothing behind,
// and the retention removes only backups older than the limit.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "ctl/backup_plan.h"
#include "ctl/cluster_view.h"
#include "ctl/commands.h"
#include "ctl/pg_access.h"
#include "pg/conninfo.h"

namespace pghalo::ctl {
namespace {

namespace fs = std::filesystem;

// A private scratch directory, removed with everything in it when it goes out of scope.
class ScratchDir {
 public:
  static Result<ScratchDir> make(const std::string& parent, const std::string& prefix) {
    std::string pattern = (fs::path(parent) / (prefix + "XXXXXX")).string();
    std::vector<char> path(pattern.begin(), pattern.end());
    path.push_back('\0');
    if (::mkdtemp(path.data()) == nullptr) {
      return aborted("cannot create a scratch directory in " + parent + ": " + std::strerror(errno));
    }
    return ScratchDir(path.data());
  }
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

std::string bin_dir_for(const Context& ctx, const BackupOptions& o) {
  if (o.bin_dir) return *o.bin_dir;
  if (!ctx.settings.bin_dir.empty() &&
      ::access((ctx.settings.bin_dir + "/pg_verifybackup").c_str(), X_OK) == 0) {
    return ctx.settings.bin_dir;
  }
  return find_postgres_bin_dir("pg_verifybackup");
}

std::string tail(const std::string& output) {
  std::string t = output.size() > 2000 ? "..." + output.substr(output.size() - 2000) : output;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t.empty() ? "(no output)" : t;
}

Status run_step(Context& ctx, const std::string& what, process::ProcessSpec spec) {
  auto result = ctx.runner.run(spec);
  if (!result.ok()) return aborted(what + ": cannot run " + spec.argv.front() + ": " + result.error().message);
  if (result->timed_out) return aborted(what + " did not finish within " + format_duration(spec.timeout));
  if (!result->succeeded()) {
    return aborted(what + " failed (exit code " + std::to_string(result->exit_code) + "):\n" +
                   tail(result->output));
  }
  return ok_status();
}

std::uint64_t directory_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

// pg_basebackup into `target`; on failure `target` is removed.
Status take_backup(Context& ctx, const BackupOptions& o, const BasebackupSpec& spec,
                   const std::optional<std::string>& password, const std::string& scratch) {
  std::map<std::string, std::string> env;
  if (password) {
    std::string pgpass = scratch + "/pgpass";
    {
      std::ofstream out(pgpass, std::ios::trunc);
      out << pg::render_pgpass({pg::PgPassEntry{"*", "*", "*", spec.user, *password}});
    }
    ::chmod(pgpass.c_str(), 0600);
    env["PGPASSFILE"] = pgpass;
  }
  std::vector<std::string> argv = basebackup_argv(spec);
  Status status = ok_status();
  if (spec.progress && ctx.run_attached) {
    auto code = ctx.run_attached(AttachedProgram{argv, env, o.timeout});
    if (!code.ok()) {
      status = code.error();
    } else if (*code != 0) {
      status = aborted("pg_basebackup failed (exit code " + std::to_string(*code) +
                       "; its messages are above)");
    }
  } else {
    process::ProcessSpec run;
    run.argv = argv;
    run.env = env;
    run.timeout = o.timeout;
    status = run_step(ctx, "pg_basebackup", run);
  }
  if (!status.ok()) {
    std::error_code ec;
    fs::remove_all(spec.target, ec);
    return make_error(status.error().code,
                      status.error().message + "\nnothing was kept in " + spec.target);
  }
  return ok_status();
}

// Unpacks the tars into a scratch directory and runs pg_verifybackup on it.
Status verify_backup(Context& ctx, const BackupOptions& o, const std::string& bin_dir,
                     const std::string& target) {
  auto scratch = ScratchDir::make(o.directory, ".pghaloctl-verify-");
  if (!scratch.ok()) return scratch.error();
  std::string data = scratch->path() + "/data";
  fs::create_directories(data + "/pg_wal");
  for (const auto& [tar, into] : {std::pair<std::string, std::string>{"base.tar.gz", data},
                                  {"pg_wal.tar.gz", data + "/pg_wal"}}) {
    process::ProcessSpec untar;
    untar.argv = {"tar", "-xzf", target + "/" + tar, "-C", into};
    untar.timeout = o.timeout;
    PGHALO_TRY(run_step(ctx, "unpacking " + tar + " for verification", untar));
  }
  process::ProcessSpec verify;
  verify.argv = {bin_dir.empty() ? "pg_verifybackup" : bin_dir + "/pg_verifybackup",
                 "--manifest-path=" + target + "/backup_manifest", data};
  verify.timeout = o.timeout;
  auto result = ctx.runner.run(verify);
  if (!result.ok()) return aborted("cannot run pg_verifybackup: " + result.error().message);
  if (!result->succeeded()) {
    return aborted("pg_verifybackup rejected the backup in " + target + ":\n" + tail(result->output));
  }
  ctx.out << "Verified: " << tail(result->output) << "\n";
  return ok_status();
}

void prune(Context& ctx, const BackupOptions& o, const std::string& keep) {
  Duration retention(static_cast<long long>(*o.retention_days * 86400.0 * 1000.0));
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(o.directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) names.push_back(it->path().filename().string());
  }
  auto expired = expired_backups(names, ctx.clock.wall_now(), retention, keep);
  if (expired.empty()) {
    ctx.out << "Retention " << *o.retention_days << " days: no backup is older\n";
    return;
  }
  for (const auto& name : expired) {
    std::error_code removed;
    fs::remove_all(fs::path(o.directory) / name, removed);
    if (removed) {
      ctx.err << "cannot remove the expired backup " << name << ": " << removed.message() << "\n";
    } else {
      ctx.out << "Retention " << *o.retention_days << " days: removed " << name << "\n";
    }
  }
}

}  // namespace

Status cmd_backup(Context& ctx, const BackupOptions& o) {
  if (o.directory.empty()) return invalid("give the backup directory with --directory (-D)");
  if (o.retention_days && *o.retention_days <= 0) {
    return invalid("--retention-days must be more than 0");
  }
  auto name = cluster_name(ctx, o.cluster);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  const model::Member* leader = cluster->leader_member();
  if (leader == nullptr) {
    return aborted("cluster '" + *name + "' has no leader in etcd, so there is no primary to back "
                   "up (pghaloctl list shows the members)");
  }
  auto credentials = credentials_from(ctx, o.username, false, std::nullopt, ctx.settings.replication);
  if (!credentials.ok()) return credentials.error();
  if (!credentials->user) {
    return invalid("no replication user: give -U USER (its password through PGPASSWORD or "
                   "~/.pgpass), or use the agent's configuration file with -c");
  }
  auto hp = conn_url_host(leader->conn_url);
  if (!hp) return aborted("the leader " + leader->name.value + " publishes no usable conn_url");
  std::error_code ec;
  fs::create_directories(o.directory, ec);
  if (ec) return aborted("cannot create " + o.directory + ": " + ec.message());
  std::string bin_dir = bin_dir_for(ctx, o);
  std::string backup = backup_name(ctx.clock.wall_now());
  for (int n = 2; fs::exists(fs::path(o.directory) / backup, ec); ++n) {
    backup = backup_name(ctx.clock.wall_now()) + "_" + std::to_string(n);
  }
  BasebackupSpec spec{bin_dir, hp->host, hp->port, *credentials->user,
                      (fs::path(o.directory) / backup).string(), "pghaloctl backup " + *name,
                      o.progress && ctx.interactive, "fast", o.max_rate};
  ctx.out << "Backing up cluster " << *name << " from its leader "
          << describe_target(*leader, *credentials) << " into " << spec.target << "\n";
  auto scratch = ScratchDir::make(o.directory, ".pghaloctl-");
  if (!scratch.ok()) return scratch.error();
  MonoTime started = ctx.clock.now();
  PGHALO_TRY(take_backup(ctx, o, spec, credentials->password, scratch->path()));
  ctx.out << "pg_basebackup finished in " << format_duration(ctx.clock.now() - started) << ": "
          << human_bytes(directory_bytes(spec.target)) << " in " << spec.target << "\n";
  if (o.verify) {
    Status verified = verify_backup(ctx, o, bin_dir, spec.target);
    if (!verified.ok()) {
      return make_error(verified.error().code,
                        verified.error().message + "\nthe backup is kept for inspection; the "
                                                   "retention did not run");
    }
  }
  if (o.retention_days) prune(ctx, o, backup);
  return ok_status();
}

}  // namespace pghalo::ctl
