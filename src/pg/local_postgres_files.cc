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

Status LocalPostgres::write_standby_signal(bool standby) {
  PGHALO_TRY(remove_if_exists(settings_.data_dir + "/recovery.signal"));
  if (!standby) return remove_if_exists(settings_.data_dir + "/standby.signal");
  return write_file_atomically(settings_.data_dir + "/standby.signal", "", kPrivateFile);
}

Status LocalPostgres::write_files(const ManagedFiles& files) {
  auto major = read_major_version(settings_.data_dir);
  if (!major.ok()) return major.error();
  if (*major < 12) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "PostgreSQL " + std::to_string(*major) + " is too old: pghalo needs 12+");
  }
  PGHALO_TRY(ensure_directory(settings_.config_dir, 0700));
  std::string conf = config_file();
  std::string base = settings_.config_dir + "/postgresql.base.conf";
  std::error_code ec;
  if (!fs::exists(base, ec)) {
    // First write: initdb's (or the clone source's) postgresql.conf becomes the base we include.
    if (fs::exists(conf, ec)) {
      fs::rename(conf, base, ec);
      if (ec)
        return make_error(ErrorCode::kInternal, "cannot rename " + conf + ": " + ec.message());
    } else {
      PGHALO_TRY(write_file_atomically(base, "", kPrivateFile));
    }
  }

  PostgresqlConfInputs inputs;
  inputs.parameters = files.parameters;
  inputs.parameters["listen_addresses"] = settings_.listen_addresses;
  inputs.parameters["port"] = std::to_string(settings_.port);
  if (!settings_.scope.empty()) inputs.parameters["cluster_name"] = settings_.scope;
  if (!settings_.unix_socket_dir.empty() && !inputs.parameters.count("unix_socket_directories")) {
    inputs.parameters["unix_socket_directories"] = settings_.unix_socket_dir;
  }
  inputs.hba_file = settings_.config_dir + "/pg_hba.conf";
  inputs.ident_file = settings_.config_dir + "/pg_ident.conf";

  std::vector<PgPassEntry> pgpass = files.pgpass;
  if (files.recovery) {
    const RecoverySettings& recovery = *files.recovery;
    std::string conninfo;
    if (recovery.upstream) {
      std::string application_name =
          recovery.application_name.empty() ? settings_.member_name : recovery.application_name;
      conninfo = render_primary_conninfo(*recovery.upstream, application_name,
                                         settings_.pgpass_path, *major);
      auto entry = pgpass_entry_for(*recovery.upstream);
      bool known = entry && std::any_of(pgpass.begin(), pgpass.end(), [&](const PgPassEntry& e) {
                     return e.host == entry->host && e.port == entry->port &&
                            e.user == entry->user && e.password == entry->password;
                   });
      if (entry && !known) pgpass.push_back(*entry);
    }
    inputs.recovery = recovery_parameters(conninfo, recovery.primary_slot_name,
                                          recovery.recovery_target_timeline, recovery.extra);
  }
  PGHALO_TRY(write_file_atomically(conf, render_postgresql_conf(inputs), kPrivateFile));
  if (files.pg_hba)
    PGHALO_TRY(write_file_atomically(inputs.hba_file, lines_text(*files.pg_hba), kPrivateFile));
  if (files.pg_ident) {
    PGHALO_TRY(write_file_atomically(inputs.ident_file, lines_text(*files.pg_ident), kPrivateFile));
  }
  PGHALO_TRY(write_standby_signal(files.recovery.has_value()));

  std::string auto_conf = settings_.data_dir + "/postgresql.auto.conf";
  if (auto current = read_text_file(auto_conf); current.ok()) {
    if (auto stripped = strip_recovery_parameters(*current)) {
      PGHALO_TRY(write_file_atomically(auto_conf, *stripped, kPrivateFile));
    }
  }
  std::string pgpass_text = render_pgpass(pgpass);
  if (!pgpass_text.empty() && !settings_.pgpass_path.empty()) {
    PGHALO_TRY(write_file_atomically(settings_.pgpass_path, pgpass_text, kPrivateFile));
  }
  std::lock_guard lock(state_mutex_);
  written_parameters_ = inputs.parameters;
  return ok_status();
}

}  // namespace pghalo::pg
