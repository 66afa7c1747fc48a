// effective_parameters() and the command-line GUC table (spec 4.1 step 3, 4.3, 4.6).
#include "config/parameters.h"

#include <string>

#include "common/strings.h"
#include "config/config.h"
#include "config/scalars.h"

namespace pghalo::config {
namespace internal {
namespace {

enum class Check { kNever, kIntAtLeast, kWalLevel, kBool, kSizeAtLeastMb };

struct CommandLineGuc {
  std::string_view name;
  std::string_view default_value;  // empty: derived from the local file (listen, scope)
  int since;                       // first server_version_num that has it
  Check check;
  std::int64_t minimum;
};

// Patroni 3.0.2's ConfigHandler.CMDLINE_OPTIONS, restated.
constexpr CommandLineGuc kCommandLine[] = {
    {"listen_addresses", "", 90100, Check::kNever, 0},
    {"port", "", 90100, Check::kNever, 0},
    {"cluster_name", "", 90500, Check::kNever, 0},
    {"wal_level", "hot_standby", 90100, Check::kWalLevel, 0},
    {"hot_standby", "on", 90100, Check::kNever, 0},
    {"max_connections", "100", 90100, Check::kIntAtLeast, 25},
    {"max_wal_senders", "10", 90100, Check::kIntAtLeast, 3},
    {"wal_keep_segments", "8", 90100, Check::kIntAtLeast, 1},
    {"wal_keep_size", "128MB", 130000, Check::kSizeAtLeastMb, 16},
    {"max_prepared_transactions", "0", 90100, Check::kIntAtLeast, 0},
    {"max_locks_per_transaction", "64", 90100, Check::kIntAtLeast, 32},
    {"track_commit_timestamp", "off", 90500, Check::kBool, 0},
    {"max_replication_slots", "10", 90400, Check::kIntAtLeast, 4},
    {"max_worker_processes", "8", 90400, Check::kIntAtLeast, 2},
    {"wal_log_hints", "on", 90400, Check::kNever, 0},
};

const CommandLineGuc* find_guc(std::string_view name) {
  std::string lower = to_lower(name);
  for (const auto& guc : kCommandLine) {
    if (guc.name == lower) return &guc;
  }
  return nullptr;
}

bool passes(const CommandLineGuc& guc, std::string_view value) {
  switch (guc.check) {
    case Check::kNever:
      return false;
    case Check::kIntAtLeast: {
      auto number = parse_int_text(value);
      return number && *number >= guc.minimum;
    }
    case Check::kWalLevel: {
      std::string lower = to_lower(trim(value));
      return lower == "hot_standby" || lower == "replica" || lower == "logical";
    }
    case Check::kBool:
      return parse_bool_text(trim(value)).has_value();
    case Check::kSizeAtLeastMb: {
      auto megabytes = size_in_megabytes(value);
      return megabytes && *megabytes >= guc.minimum;
    }
  }
  return false;
}

std::string requirement(const CommandLineGuc& guc) {
  switch (guc.check) {
    case Check::kIntAtLeast:
      return "an integer of at least " + std::to_string(guc.minimum);
    case Check::kWalLevel:
      return "one of hot_standby, replica, logical";
    case Check::kBool:
      return "a boolean";
    case Check::kSizeAtLeastMb:
      return "a size of at least " + std::to_string(guc.minimum) + "MB";
    case Check::kNever:
      break;
  }
  return "";
}

int version_number(int major_version) {
  return major_version >= 1000 ? major_version : major_version * 10000;
}

}  // namespace

bool is_command_line_guc(std::string_view name) { return find_guc(name) != nullptr; }

std::optional<GucRejection> reject_dynamic_guc(std::string_view name, std::string_view value) {
  const CommandLineGuc* guc = find_guc(name);
  if (guc == nullptr) return std::nullopt;
  if (guc->default_value.empty()) {
    return GucRejection{"pghalo derives it from postgresql.listen and scope; ignored", false};
  }
  if (guc->check == Check::kNever) {
    bool same = parse_bool_text(trim(value)) == std::optional<bool>(true);
    return GucRejection{"pghalo always runs with " + std::string(guc->name) + "=on", same};
  }
  if (passes(*guc, value)) return std::nullopt;
  return GucRejection{quote_value(value) + " is not " + requirement(*guc) + "; the default " +
                          std::string(guc->default_value) + " applies",
                      false};
}

}  // namespace internal

namespace {

using internal::find_guc;

void apply_wal_keep(int version, std::map<std::string, std::string>* params) {
  auto take = [params](const std::string& name, const std::string& fallback) {
    auto it = params->find(name);
    if (it == params->end()) return fallback;
    std::string value = it->second;
    params->erase(it);
    return value;
  };
  // The 16MB segment size is an assumption, as in Patroni: only the default build differs
  // from it, and the operator is expected to set the parameter that fits their version.
  if (version >= 130000) {
    auto segments = internal::parse_int_text(take("wal_keep_segments", "8"));
    params->emplace("wal_keep_size", std::to_string(segments.value_or(8) * 16) + "MB");
  } else {
    auto megabytes = internal::size_in_megabytes(take("wal_keep_size", "128MB"));
    params->emplace("wal_keep_segments", std::to_string((megabytes.value_or(128) + 8) / 16));
  }
}

void apply_version_rules(int version, std::map<std::string, std::string>* params) {
  auto level = params->find("wal_level");
  if (level != params->end()) {
    std::string lower = to_lower(level->second);
    if (version >= 90600 && lower == "hot_standby") level->second = "replica";
    if (version < 90600 && lower == "replica") level->second = "hot_standby";
  }
  apply_wal_keep(version, params);
  for (auto it = params->begin(); it != params->end();) {
    const auto* guc = find_guc(it->first);
    it = guc != nullptr && guc->since > version ? params->erase(it) : std::next(it);
  }
}

}  // namespace

std::map<std::string, std::string> effective_parameters(const Config& local,
                                                        const DynamicConfig& dynamic,
                                                        int major_version) {
  std::map<std::string, std::string> params;
  for (const auto& guc : internal::kCommandLine) {
    bool wal_keep = guc.name == "wal_keep_segments" || guc.name == "wal_keep_size";
    if (!guc.default_value.empty() && !wal_keep) params[std::string(guc.name)] = guc.default_value;
  }
  for (const auto& [name, value] : dynamic.parameters) {
    if (internal::reject_dynamic_guc(name, value)) continue;
    params[to_lower(name)] = value;
  }
  for (const auto& [name, value] : local.postgresql.parameters) {
    if (!internal::is_command_line_guc(name)) params[to_lower(name)] = value;
  }
  std::string ignored;
  auto listen = internal::split_host_port(local.postgresql.listen, 5432, &ignored);
  if (listen) {
    params["listen_addresses"] = listen->host;
    params["port"] = std::to_string(listen->port);
  }
  params["cluster_name"] = local.scope;
  params["hot_standby"] = "on";
  params["wal_log_hints"] = "on";
  apply_version_rules(internal::version_number(major_version), &params);
  return params;
}

}  // namespace pghalo::config
