// edit-config: change the dynamic configuration in etcd with a revision check, as patronictl
// does (it writes `/config` itself; no agent is involved), showing the diff first.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "ctl/commands.h"
#include "ctl/config_edit.h"
#include "ctl/unified_diff.h"
#include "ctl/yaml_text.h"

namespace pghalo::ctl {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_source(const EditConfigOptions& options, const std::string& name) {
  if (name == "-") return options.stdin_text;
  std::ifstream in(name, std::ios::binary);
  if (!in) return invalid("cannot read " + name + ": no such file or no permission");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> editor_command(const std::string& configured) {
  if (!configured.empty()) return split(configured, ' ');
  for (const char* candidate : {"editor", "vi"}) {
    for (const auto& dir : split(std::getenv("PATH") ? std::getenv("PATH") : "", ':')) {
      std::string path = dir + "/" + candidate;
      if (::access(path.c_str(), X_OK) == 0) return {path};
    }
  }
  return {};
}

// Writes `before` to a private temporary file, runs the editor on it and reads it back.
Result<std::string> edit_in_editor(Context& ctx, const EditConfigOptions& options,
                                   const std::string& cluster, const std::string& before) {
  std::vector<std::string> argv = editor_command(options.editor);
  if (argv.empty()) {
    return invalid("EDITOR is not set and neither editor nor vi is installed: set EDITOR, or "
                   "change the configuration with -s, -p or --apply");
  }
  if (!ctx.run_attached) return invalid("cannot run an editor here: use -s, -p or --apply");
  std::string pattern = (fs::temp_directory_path() / (cluster + "-config-XXXXXX.yaml")).string();
  std::vector<char> path(pattern.begin(), pattern.end());
  path.push_back('\0');
  int fd = ::mkstemps(path.data(), 5);
  if (fd < 0) return aborted("cannot create a temporary file for the editor in /tmp");
  std::string file(path.data());
  bool written = ::write(fd, before.data(), before.size()) == static_cast<ssize_t>(before.size());
  ::close(fd);
  struct Remove {
    std::string path;
    ~Remove() { std::remove(path.c_str()); }
  } remove{file};
  if (!written) return aborted("cannot write the temporary file " + file);
  argv.push_back(file);
  auto code = ctx.run_attached(AttachedProgram{argv, {}, std::nullopt});
  if (!code.ok()) return code.error();
  if (*code != 0) return aborted("Editor exited with return code " + std::to_string(*code));
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The configuration after every requested change, and its text for the diff.
struct Edited {
  nlohmann::json config;
  std::string text;
};

Result<std::optional<Edited>> apply_requested(const EditConfigOptions& options,
                                              const nlohmann::json& current) {
  std::optional<nlohmann::json> changed;
  if (options.replace) {
    auto text = read_source(options, *options.replace);
    if (!text.ok()) return text.error();
    auto document = parse_config_document(*text, *options.replace);
    if (!document.ok()) return document.error();
    changed = nlohmann::json::object();
    patch_config(*changed, *document);
  }
  if (options.apply) {
    auto text = read_source(options, *options.apply);
    if (!text.ok()) return text.error();
    auto document = parse_config_document(*text, *options.apply);
    if (!document.ok()) return document.error();
    if (!changed) changed = current;
    patch_config(*changed, *document);
  }
  if (!options.set.empty() || !options.pg.empty()) {
    std::vector<std::string> pairs = options.set;
    for (const auto& p : options.pg) {
      pairs.push_back("postgresql.parameters." + std::string(trim(p)));
    }
    auto applied = apply_set_pairs(changed.value_or(current), pairs);
    if (!applied.ok()) return applied.error();
    changed = *applied;
  }
  if (!changed) return std::optional<Edited>();
  return std::optional<Edited>(Edited{*changed, dump_yaml(*changed)});
}

}  // namespace

Status cmd_edit_config(Context& ctx, const EditConfigOptions& options) {
  if (options.apply && options.replace && *options.apply == "-" && *options.replace == "-") {
    return invalid("--apply and --replace cannot both read stdin");
  }
  auto name = cluster_name(ctx, options.cluster);
  if (!name.ok()) return name.error();
  auto store = open_store(ctx, *name);
  auto cluster = read_cluster(ctx, *store, *name);
  if (!cluster.ok()) return cluster.error();
  nlohmann::json current = cluster->config.value_or(nlohmann::json::object());
  std::string before = dump_yaml(current);
  auto requested = apply_requested(options, current);
  if (!requested.ok()) return requested.error();
  Edited edited;
  if (*requested) {
    edited = **requested;
  } else {
    auto text = edit_in_editor(ctx, options, *name, before);
    if (!text.ok()) return text.error();
    auto document = parse_config_document(*text, "the edited configuration");
    if (!document.ok()) return document.error();
    edited = Edited{*document, *text};
  }
  if (edited.config == current) {
    if (!options.quiet) ctx.out << "Not changed\n";
    return ok_status();
  }
  if (!options.quiet) ctx.out << render_diff(unified_diff(before, edited.text), ctx.color);
  bool from_stdin = options.apply == "-" || options.replace == "-";
  if (from_stdin && !options.force) {
    ctx.out << "Use --force option to apply changes\n";
    return aborted("nothing was changed: the new configuration came from stdin, so there is no "
                   "one to ask; run again with --force");
  }
  if (!options.force) {
    auto yes = confirm(ctx, "Apply these changes?");
    if (!yes.ok()) return yes.error();
    if (!*yes) return aborted("Aborted: the configuration was not changed");
  }
  auto written = store->write_config(edited.config, cluster->config_revision);
  if (!written.ok()) {
    return make_error(written.error().code,
                      "cannot write the configuration to etcd: " + written.error().message);
  }
  if (!*written) {
    return aborted("Config modification aborted due to concurrent changes: someone changed the "
                   "configuration since it was read; run the command again");
  }
  ctx.out << "Configuration changed\n";
  return ok_status();
}

}  // namespace pghalo::ctl
