// parse_dynamic_config(): `/config` (or bootstrap.dcs) typed with the defaults of spec 4.3, and
// the timing safety rule of spec 2.1.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "config/dynamic.h"
#include "config/parameters.h"
#include "config/scalars.h"

namespace pghalo::config {
namespace internal {
namespace {

constexpr std::int64_t kNoMinimum = std::numeric_limits<std::int64_t>::min();

class DynamicReader {
 public:
  DynamicReader(const nlohmann::json& object, Strictness strictness,
                std::vector<Diagnostic>* diagnostics)
      : object_(object), strictness_(strictness), diagnostics_(diagnostics) {}

  // The integer at `key` (or at `alias` when only the alias is present), or `fallback`.
  template <typename T>
  T integer(const std::string& key, T fallback, std::int64_t minimum,
            const std::string& alias = "") const {
    std::string used = key;
    if (!object_.contains(key) && !alias.empty() && object_.contains(alias)) used = alias;
    if (!object_.contains(used) || object_[used].is_null()) return fallback;
    const nlohmann::json& value = object_[used];
    auto parsed = json_to_int(value);
    bool fractional = value.is_number_float() && strictness_ == Strictness::kFile && parsed &&
                      static_cast<double>(*parsed) != value.get<double>();
    if (!parsed || fractional || value.is_boolean()) {
      bad(used, "expected an integer, got " + shown(value), std::to_string(fallback));
      return fallback;
    }
    if (*parsed < minimum) {
      bad(used, "must be at least " + std::to_string(minimum) + ", got " + std::to_string(*parsed),
          std::to_string(fallback));
      return fallback;
    }
    if (*parsed > std::numeric_limits<T>::max()) {
      bad(used, "is too large: " + std::to_string(*parsed), std::to_string(fallback));
      return fallback;
    }
    return static_cast<T>(*parsed);
  }

  bool boolean(const nlohmann::json& object, const std::string& key, const std::string& path,
               bool fallback) const {
    if (!object.contains(key) || object[key].is_null()) return fallback;
    auto parsed = json_to_bool(object[key]);
    if (!parsed) {
      bad(path, "expected a boolean (true/false, on/off, yes/no), got " + shown(object[key]),
          fallback ? "true" : "false");
      return fallback;
    }
    return *parsed;
  }

  bool boolean(const std::string& key, bool fallback) const {
    return boolean(object_, key, key, fallback);
  }

  std::optional<std::vector<std::string>> strings(const nlohmann::json& object,
                                                  const std::string& key,
                                                  const std::string& path) const {
    if (!object.contains(key) || object[key].is_null()) return std::nullopt;
    const nlohmann::json& value = object[key];
    bool ok = value.is_array() &&
              std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); });
    if (!ok) {
      bad(path, "expected a list of strings, got " + shown(value), "none");
      return std::nullopt;
    }
    return value.get<std::vector<std::string>>();
  }

  // A map of GUC-like values. Values that are not scalars are reported and skipped.
  std::map<std::string, std::string> guc_map(const nlohmann::json& object, const std::string& key,
                                             const std::string& path) const {
    std::map<std::string, std::string> out;
    if (!object.contains(key) || object[key].is_null()) return out;
    if (!object[key].is_object()) {
      bad(path, "expected a map of names to values, got " + shown(object[key]), "none");
      return out;
    }
    for (const auto& [name, value] : object[key].items()) {
      auto text = json_to_guc(value);
      if (!text) {
        std::string where = path;
        where += "." + name;
        bad(where, "expected a single value, got " + shown(value), "");
        continue;
      }
      out[name] = *text;
    }
    return out;
  }

  // A problem with one value: an error in a file, a warning (and the default) from etcd.
  void bad(const std::string& key, const std::string& problem, const std::string& fallback) const {
    bool stored = strictness_ == Strictness::kStored;
    std::string message = problem;
    if (stored && !fallback.empty()) message += "; using " + fallback;
    if (stored && fallback.empty()) message += "; ignored";
    add(stored ? Diagnostic::Severity::kWarning : Diagnostic::Severity::kError, key, message);
  }

  void add(Diagnostic::Severity severity, const std::string& key, std::string message) const {
    Diagnostic d;
    d.severity = severity;
    d.key = key;
    d.message = std::move(message);
    diagnostics_->push_back(std::move(d));
  }

  const nlohmann::json& object() const { return object_; }
  Strictness strictness() const { return strictness_; }

 private:
  const nlohmann::json& object_;
  Strictness strictness_;
  std::vector<Diagnostic>* diagnostics_;
};

void read_parameters(const DynamicReader& reader, const nlohmann::json& pg, DynamicConfig* out) {
  out->parameters = reader.guc_map(pg, "parameters", "postgresql.parameters");
  for (auto it = out->parameters.begin(); it != out->parameters.end(); ++it) {
    auto rejection = reject_dynamic_guc(it->first, it->second);
    if (rejection && !rejection->silently) {
      reader.add(Diagnostic::Severity::kWarning, "postgresql.parameters." + it->first,
                 rejection->reason);
    }
  }
}

void read_postgresql(const DynamicReader& reader, DynamicConfig* out) {
  const nlohmann::json& object = reader.object();
  if (!object.contains("postgresql") || object["postgresql"].is_null()) return;
  const nlohmann::json& pg = object["postgresql"];
  if (!pg.is_object()) {
    reader.bad("postgresql", "expected a map of settings, got " + shown(pg), "the defaults");
    return;
  }
  out->use_slots = reader.boolean(pg, "use_slots", "postgresql.use_slots", true);
  out->use_pg_rewind = reader.boolean(pg, "use_pg_rewind", "postgresql.use_pg_rewind", false);
  for (auto [key, field] :
       {std::pair{"remove_data_directory_on_rewind_failure",
                  &DynamicConfig::remove_data_directory_on_rewind_failure},
        std::pair{"remove_data_directory_on_diverged_timelines",
                  &DynamicConfig::remove_data_directory_on_diverged_timelines}}) {
    out->*field = reader.boolean(pg, key, std::string("postgresql.") + key, false);
  }
  out->pg_hba = reader.strings(pg, "pg_hba", "postgresql.pg_hba");
  out->pg_ident = reader.strings(pg, "pg_ident", "postgresql.pg_ident");
  out->recovery_conf = reader.guc_map(pg, "recovery_conf", "postgresql.recovery_conf");
  read_parameters(reader, pg, out);
}

void read_verbatim(const DynamicReader& reader, DynamicConfig* out) {
  const nlohmann::json& object = reader.object();
  if (object.contains("slots")) out->slots = object["slots"];
  if (object.contains("ignore_slots")) out->ignore_slots = object["ignore_slots"];
  if (object.contains("standby_cluster") && !object["standby_cluster"].is_null()) {
    if (object["standby_cluster"].is_object()) {
      out->standby_cluster = object["standby_cluster"];
    } else {
      reader.bad("standby_cluster",
                 "expected a map of settings, got " + shown(object["standby_cluster"]),
                 "no standby cluster");
    }
  }
}

// Makes ttl, loop_wait and retry_timeout safe together (spec 2.1): ttl leaves room for one
// cycle plus a slow read and a slow write, each bounded by retry_timeout.
void apply_timing_rule(const DynamicReader& reader, DynamicConfig* out) {
  using Severity = Diagnostic::Severity;
  bool file = reader.strictness() == Strictness::kFile;
  if (out->ttl < 3) {
    reader.bad(
        "ttl",
        "must be at least 3 (loop_wait 1 + 2 * retry_timeout 1), got " + std::to_string(out->ttl),
        "3");
    if (file) return;
    out->ttl = 3;
  }
  if (out->ttl < out->loop_wait + 2) {
    std::string problem = "ttl (" + std::to_string(out->ttl) + ") leaves no room for a cycle of " +
                          "loop_wait (" + std::to_string(out->loop_wait) + ") and a retry";
    if (file && out->ttl < out->loop_wait) {
      reader.add(Severity::kError, "ttl",
                 "must be at least loop_wait (" + std::to_string(out->loop_wait) + "), got " +
                     std::to_string(out->ttl));
      return;
    }
    out->loop_wait = std::max(1, out->ttl / 3);
    reader.add(Severity::kWarning, "loop_wait",
               problem + "; running with loop_wait " + std::to_string(out->loop_wait) +
                   " (the configured value is left as written)");
  }
  if (out->loop_wait + 2 * out->retry_timeout > out->ttl) {
    int lowered = std::max(1, (out->ttl - out->loop_wait) / 2);
    reader.add(Severity::kWarning, "retry_timeout",
               "breaks the safety rule loop_wait + 2*retry_timeout <= ttl (" +
                   std::to_string(out->loop_wait) + " + 2*" + std::to_string(out->retry_timeout) +
                   " > " + std::to_string(out->ttl) +
                   "): a primary cut off from etcd could keep accepting writes after its leader "
                   "key expired; running with retry_timeout " +
                   std::to_string(lowered) + " (the configured value is left as written)");
    out->retry_timeout = lowered;
  }
}

}  // namespace

DynamicConfig parse_dynamic(const nlohmann::json& object, Strictness strictness,
                            std::vector<Diagnostic>* diagnostics) {
  DynamicConfig out;
  static const nlohmann::json kEmpty = nlohmann::json::object();
  DynamicReader reader(object.is_object() ? object : kEmpty, strictness, diagnostics);
  if (!object.is_object() && !object.is_null()) {
    reader.bad("", "the dynamic configuration must be a JSON object, got " + shown(object),
               "the defaults");
  }
  out.raw = object.is_object() ? object : nlohmann::json::object();
  out.ttl = reader.integer("ttl", out.ttl, 1);
  out.loop_wait = reader.integer("loop_wait", out.loop_wait, 1);
  out.retry_timeout = reader.integer("retry_timeout", out.retry_timeout, 1);
  out.maximum_lag_on_failover =
      reader.integer("maximum_lag_on_failover", out.maximum_lag_on_failover, kNoMinimum);
  out.maximum_lag_on_syncnode =
      reader.integer("maximum_lag_on_syncnode", out.maximum_lag_on_syncnode, kNoMinimum);
  out.max_timelines_history = reader.integer("max_timelines_history", 0, 0);
  out.primary_start_timeout =
      reader.integer("primary_start_timeout", out.primary_start_timeout, 0, "master_start_timeout");
  out.primary_stop_timeout =
      reader.integer("primary_stop_timeout", out.primary_stop_timeout, 0, "master_stop_timeout");
  out.synchronous_node_count = reader.integer("synchronous_node_count", 1, 1);
  out.check_timeline = reader.boolean("check_timeline", false);
  out.synchronous_mode = reader.boolean("synchronous_mode", false);
  out.synchronous_mode_strict = reader.boolean("synchronous_mode_strict", false);
  out.failsafe_mode = reader.boolean("failsafe_mode", false);
  out.pause = reader.boolean("pause", false);
  read_postgresql(reader, &out);
  read_verbatim(reader, &out);
  apply_timing_rule(reader, &out);
  return out;
}

}  // namespace internal

DynamicConfig parse_dynamic_config(const nlohmann::json& object,
                                   std::vector<Diagnostic>* diagnostics) {
  std::vector<Diagnostic> ignored;
  return internal::parse_dynamic(object, internal::Strictness::kStored,
                                 diagnostics != nullptr ? diagnostics : &ignored);
}

}  // namespace pghalo::config
