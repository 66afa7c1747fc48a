#include "pg/conf_render.h"

#include <algorithm>
#include <array>

#include "common/strings.h"

namespace pghalo::pg {
namespace {

constexpr std::array<std::string_view, 13> kCommandLineParameters = {"listen_addresses",
                                                                     "port",
                                                                     "cluster_name",
                                                                     "wal_level",
                                                                     "hot_standby",
                                                                     "max_connections",
                                                                     "max_wal_senders",
                                                                     "max_prepared_transactions",
                                                                     "max_locks_per_transaction",
                                                                     "track_commit_timestamp",
                                                                     "max_replication_slots",
                                                                     "max_worker_processes",
                                                                     "wal_log_hints"};

constexpr std::array<std::string_view, 18> kRecoveryParameters = {"archive_cleanup_command",
                                                                  "pause_at_recovery_target",
                                                                  "primary_conninfo",
                                                                  "primary_slot_name",
                                                                  "promote_trigger_file",
                                                                  "recovery_end_command",
                                                                  "recovery_min_apply_delay",
                                                                  "recovery_target",
                                                                  "recovery_target_action",
                                                                  "recovery_target_inclusive",
                                                                  "recovery_target_lsn",
                                                                  "recovery_target_name",
                                                                  "recovery_target_time",
                                                                  "recovery_target_timeline",
                                                                  "recovery_target_xid",
                                                                  "restore_command",
                                                                  "standby_mode",
                                                                  "trigger_file"};

// A hot standby must allow at least as much as the primary did, as recorded in pg_control.
struct ControlMinimum {
  std::string_view parameter;
  std::string_view control_field;
};
constexpr std::array<ControlMinimum, 5> kReplicaMinimums = {{
    {"max_connections", "max_connections setting"},
    {"max_prepared_transactions", "max_prepared_xacts setting"},
    {"max_locks_per_transaction", "max_locks_per_xact setting"},
    {"max_worker_processes", "max_worker_processes setting"},
    {"max_wal_senders", "max_wal_senders setting"},
}};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  std::string lower = to_lower(name);
  return std::find(names.begin(), names.end(), lower) != names.end();
}

// The leading identifier of a "name = value" line, lower-cased; empty for comments/blank lines.
std::string parameter_name(std::string_view line) {
  line = trim(line);
  std::size_t end = 0;
  while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) ||
                               line[end] == '_' || line[end] == '.')) {
    ++end;
  }
  if (end == 0) return {};
  std::string_view rest = trim(line.substr(end));
  if (rest.empty() || rest.front() != '=') return {};
  return to_lower(line.substr(0, end));
}

}  // namespace

bool is_command_line_parameter(std::string_view name) {
  return contains(kCommandLineParameters, name);
}

bool is_recovery_parameter(std::string_view name) { return contains(kRecoveryParameters, name); }

std::string quote_conf_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

std::string render_postgresql_conf(const PostgresqlConfInputs& inputs) {
  std::string out =
      "# Managed by pghalo, do not edit: this file is rewritten from the pghalo configuration.\n";
  out += "include " + quote_conf_value(inputs.include_file) + "\n\n";
  // std::map is already sorted by name, as Patroni sorts them.
  for (const auto& [name, value] : inputs.parameters) {
    if (is_recovery_parameter(name)) continue;  // only ever in the recovery block
    out += name + " = " + quote_conf_value(value) + "\n";
  }
  if (!inputs.parameters.count("hba_file") && !inputs.hba_file.empty()) {
    out += "hba_file = " + quote_conf_value(inputs.hba_file) + "\n";
  }
  if (!inputs.parameters.count("ident_file") && !inputs.ident_file.empty()) {
    out += "ident_file = " + quote_conf_value(inputs.ident_file) + "\n";
  }
  if (!inputs.recovery.empty()) {
    out += "\n# recovery.conf\n";
    for (const auto& [name, value] : inputs.recovery) {
      out += name + " = " + quote_conf_value(value) + "\n";
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> recovery_parameters(
    const std::string& primary_conninfo, const std::optional<std::string>& primary_slot_name,
    const std::string& recovery_target_timeline, const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> params;
  for (const auto& [name, value] : extra) {
    std::string lower = to_lower(name);
    // Targets and the upstream are pghalo's to decide; standby_mode and friends are pre-12.
    if (lower.rfind("recovery_target", 0) == 0 || lower == "primary_conninfo" ||
        lower == "primary_slot_name" || lower == "standby_mode" || lower == "trigger_file" ||
        lower == "pause_at_recovery_target") {
      continue;
    }
    params[lower] = value;
  }
  params["recovery_target_timeline"] =
      recovery_target_timeline.empty() ? "latest" : recovery_target_timeline;
  // Neutralise targets an included file might set: they would pause, promote or stop us.
  for (const char* target : {"recovery_target", "recovery_target_name", "recovery_target_time",
                             "recovery_target_xid", "recovery_target_lsn"}) {
    params[target] = "";
  }
  if (!primary_conninfo.empty()) {
    params["primary_conninfo"] = primary_conninfo;
    if (primary_slot_name && !primary_slot_name->empty()) {
      params["primary_slot_name"] = *primary_slot_name;
    }
  }
  return {params.begin(), params.end()};
}

std::optional<std::string> strip_recovery_parameters(std::string_view auto_conf) {
  std::string kept;
  bool removed = false;
  std::size_t start = 0;
  while (start < auto_conf.size()) {
    std::size_t end = auto_conf.find('\n', start);
    std::size_t next = end == std::string_view::npos ? auto_conf.size() : end + 1;
    std::string_view line = auto_conf.substr(start, next - start);
    if (is_recovery_parameter(parameter_name(line))) {
      removed = true;
    } else {
      kept.append(line);
    }
    start = next;
  }
  if (!removed) return std::nullopt;
  return kept;
}

std::vector<std::string> command_line_options(const std::map<std::string, std::string>& parameters,
                                              const std::map<std::string, std::string>& forced,
                                              const model::ControlData* replica_control) {
  std::map<std::string, std::string> chosen;
  for (const auto& [name, value] : parameters) {
    if (is_command_line_parameter(name)) chosen[to_lower(name)] = value;
  }
  for (const auto& [name, value] : forced) chosen[name] = value;
  if (auto it = chosen.find("wal_level"); it != chosen.end() && it->second == "hot_standby") {
    it->second = "replica";  // renamed in 9.6
  }
  if (replica_control) {
    for (const auto& minimum : kReplicaMinimums) {
      auto field = replica_control->raw.find(std::string(minimum.control_field));
      if (field == replica_control->raw.end()) continue;
      auto required = parse_int64(field->second);
      if (!required) continue;
      std::string name(minimum.parameter);
      auto current = chosen.count(name) ? parse_int64(chosen[name]) : std::nullopt;
      if (!current || *current < *required) chosen[name] = field->second;
    }
  }
  std::vector<std::string> options;
  for (const auto& [name, value] : chosen) options.push_back("--" + name + "=" + value);
  return options;
}

std::string shell_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace pghalo::pg
