// LocalPostgres: initdb and the files pghalo owns in the data and config directories.
#include <algorithm>
#include <filesystem>

#include "common/strings.h"
#include "pg/conf_render.h"
#include "pg/conninfo.h"
#include "pg/local_postgres.h"

namespace fs = std::filesystem;

namespace pghalo::pg {
namespace {

constexpr mode_t kPrivateFile = 0600;

// initdb options pghalo sets itself; a configured one would silently fight ours.
bool conflicts_with_ours(const std::string& arg) {
  for (const char* ours : {"-D", "--pgdata", "-U", "--username", "--pwfile", "-W", "--pwprompt"}) {
    std::string prefix(ours);
    if (arg == prefix || arg.rfind(prefix + "=", 0) == 0 ||
        (prefix.size() == 2 && arg.rfind(prefix, 0) == 0)) {
      return true;
    }
  }
  return false;
}

std::string lines_text(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

Status append_to_file(const std::string& path, const std::string& text) {
  auto current = read_text_file(path, 16 << 20);
  if (!current.ok()) return current.error();
  std::string content = *current;
  if (!content.empty() && content.back() != '\n') content += '\n';
  return write_file_atomically(path, content + "\n" + text, kPrivateFile);
}

Status remove_if_exists(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot remove " + path + ": " + ec.message());
  return ok_status();
}

// First write: initdb's (or the clone source's) postgresql.conf becomes the base we include.
Status adopt_base_conf(const std::string& config_dir) {
  std::string conf = config_dir + "/postgresql.conf";
  std::string base = config_dir + "/postgresql.base.conf";
  std::error_code ec;
  if (fs::exists(base, ec)) return ok_status();
  if (!fs::exists(conf, ec)) return write_file_atomically(base, "", kPrivateFile);
  fs::rename(conf, base, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot rename " + conf + ": " + ec.message());
  return ok_status();
}

// The configured GUCs with what the settings decide: where pghalo connects and the cluster name.
std::map<std::string, std::string> effective_parameters(
    const std::map<std::string, std::string>& configured, const LocalPostgresSettings& settings) {
  std::map<std::string, std::string> parameters = configured;
  parameters["listen_addresses"] = settings.listen_addresses;
  parameters["port"] = std::to_string(settings.port);
  if (!settings.scope.empty()) parameters["cluster_name"] = settings.scope;
  if (!settings.unix_socket_dir.empty() && !parameters.count("unix_socket_directories")) {
    parameters["unix_socket_directories"] = settings.unix_socket_dir;
  }
  return parameters;
}

// The recovery block; adds the upstream's password to `pgpass` (primary_conninfo's passfile).
std::vector<std::pair<std::string, std::string>> recovery_block(
    const RecoverySettings& recovery, const LocalPostgresSettings& settings, int major,
    std::vector<PgPassEntry>* pgpass) {
  std::string conninfo;
  if (recovery.upstream) {
    const std::string& application_name =
        recovery.application_name.empty() ? settings.member_name : recovery.application_name;
    conninfo =
        render_primary_conninfo(*recovery.upstream, application_name, settings.pgpass_path, major);
    auto entry = pgpass_entry_for(*recovery.upstream);
    auto same = [&entry](const PgPassEntry& e) {
      return e.host == entry->host && e.port == entry->port && e.user == entry->user &&
             e.password == entry->password;
    };
    if (entry && std::none_of(pgpass->begin(), pgpass->end(), same)) pgpass->push_back(*entry);
  }
  return recovery_parameters(conninfo, recovery.primary_slot_name,
                             recovery.recovery_target_timeline, recovery.extra);
}

Status write_lines_if_given(const std::string& path,
                            const std::optional<std::vector<std::string>>& lines) {
  if (!lines) return ok_status();
  return write_file_atomically(path, lines_text(*lines), kPrivateFile);
}

Status strip_auto_conf(const std::string& auto_conf) {
  auto current = read_text_file(auto_conf);
  if (!current.ok()) return ok_status();  // none yet: nothing to clean
  auto stripped = strip_recovery_parameters(*current);
  if (!stripped) return ok_status();
  return write_file_atomically(auto_conf, *stripped, kPrivateFile);
}

// Everything but postgresql.conf: hba/ident when given, the standby signal, the cleaned
// postgresql.auto.conf and the pgpass file.
Status write_side_files(const ManagedFiles& files, const LocalPostgresSettings& settings,
                        const std::vector<PgPassEntry>& pgpass) {
  PGHALO_TRY(write_lines_if_given(settings.config_dir + "/pg_hba.conf", files.pg_hba));
  PGHALO_TRY(write_lines_if_given(settings.config_dir + "/pg_ident.conf", files.pg_ident));
  // recovery.signal would mean targeted recovery, which pghalo never asks for.
  PGHALO_TRY(remove_if_exists(settings.data_dir + "/recovery.signal"));
  std::string standby_signal = settings.data_dir + "/standby.signal";
  PGHALO_TRY(files.recovery ? write_file_atomically(standby_signal, "", kPrivateFile)
                            : remove_if_exists(standby_signal));
  PGHALO_TRY(strip_auto_conf(settings.data_dir + "/postgresql.auto.conf"));
  std::string pgpass_text = render_pgpass(pgpass);
  if (pgpass_text.empty() || settings.pgpass_path.empty()) return ok_status();
  return write_file_atomically(settings.pgpass_path, pgpass_text, kPrivateFile);
}

}  // namespace

Status LocalPostgres::initdb(const BootstrapSpec& spec, Duration timeout) {
  if (data_dir_state(settings_.data_dir) != model::DataDirState::kEmpty) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "initdb: " + settings_.data_dir + " is not empty");
  }
  std::string superuser = spec.superuser.empty() ? settings_.superuser : spec.superuser;
  ToolRun run{{program("initdb"), "-D", settings_.data_dir}, timeout, {}, {}};
  for (const auto& arg : spec.initdb_args) {
    if (conflicts_with_ours(arg)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "bootstrap.initdb: option " + arg + " is set by pghalo itself");
    }
    run.argv.push_back(arg);
  }
  run.argv.push_back("--username=" + superuser);
  // The password file goes next to the data directory (initdb needs that directory writable
  // anyway), falling back to /tmp when initdb is about to create the parents too.
  std::error_code ec;
  std::string parent = fs::path(settings_.data_dir).parent_path().string();
  if (!fs::is_directory(parent, ec)) parent = "/tmp";
  std::optional<SecretFile> pwfile;
  if (spec.superuser_password) {
    auto created = SecretFile::create(parent, *spec.superuser_password + "\n");
    if (!created.ok()) return created.error();
    pwfile.emplace(std::move(*created));
    run.argv.push_back("--pwfile=" + pwfile->path());
  }
  auto result = run_tool(run, "initdb");
  if (!result.ok()) {
    (void)remove_data_directory_at(settings_.data_dir);  // never leave a half-made cluster
    return result.error();
  }
  if (!spec.pg_hba_append.empty()) {
    PGHALO_TRY(append_to_file(settings_.data_dir + "/pg_hba.conf", lines_text(spec.pg_hba_append)));
  }
  return ok_status();
}

Status LocalPostgres::write_files(const ManagedFiles& files) {
  auto major = read_major_version(settings_.data_dir);
  if (!major.ok()) return major.error();
  if (*major < 12) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "PostgreSQL " + std::to_string(*major) + " is too old: pghalo needs 12+");
  }
  PGHALO_TRY(ensure_directory(settings_.config_dir, 0700));
  PGHALO_TRY(adopt_base_conf(settings_.config_dir));

  PostgresqlConfInputs inputs;
  inputs.parameters = effective_parameters(files.parameters, settings_);
  inputs.hba_file = settings_.config_dir + "/pg_hba.conf";
  inputs.ident_file = settings_.config_dir + "/pg_ident.conf";
  std::vector<PgPassEntry> pgpass = files.pgpass;
  if (files.recovery) inputs.recovery = recovery_block(*files.recovery, settings_, *major, &pgpass);

  PGHALO_TRY(write_file_atomically(config_file(), render_postgresql_conf(inputs), kPrivateFile));
  PGHALO_TRY(write_side_files(files, settings_, pgpass));
  std::lock_guard lock(state_mutex_);
  written_parameters_ = inputs.parameters;
  return ok_status();
}

}  // namespace pghalo::pg
