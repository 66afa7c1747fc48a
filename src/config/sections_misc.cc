// The small sections: restapi, ctl, log, watchdog, tags and pghalo's own.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/strings.h"
#include "config/scalars.h"
#include "config/sections.h"

namespace pghalo::config::internal {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();

// An address the server binds to: host:port, port required (the host may be empty: all).
void read_listen(const Section& section, std::string* out) {
  std::string text;
  if (!section.require("listen", &text)) return;
  std::string problem;
  if (!split_host_port(text, 0, &problem)) {
    section.report(Severity::kError, "listen", quote_value(text) + " " + problem);
    return;
  }
  *out = std::string(trim(text));
}

std::optional<BasicAuth> read_basic_auth(const Section& parent) {
  Section auth = parent.section("authentication");
  if (!auth.present()) return std::nullopt;
  BasicAuth out;
  auth.require("username", &out.username);
  auth.read("password", &out.password);
  return out;
}

}  // namespace

void read_connect_address(const Section& section, std::string_view key, bool required,
                          std::string* out) {
  std::string text;
  bool found = required ? section.require(key, &text) : section.read(key, &text);
  if (!found) return;
  std::string problem;
  auto parsed = split_host_port(text, 0, &problem);
  if (parsed && parsed->host.empty()) problem = "has no host";
  if (!parsed || parsed->host.empty()) {
    section.report(Severity::kError, key, quote_value(text) + " " + problem);
    return;
  }
  *out = join_host_port(parsed->host, parsed->port);
}

void read_restapi(const Section& root, RestApiConfig* out) {
  Section s = root.section("restapi");
  if (!s.present()) {
    root.report_missing("restapi", " (listen and connect_address)");
    return;
  }
  read_listen(s, &out->listen);
  read_connect_address(s, "connect_address", true, &out->connect_address);
  out->authentication = read_basic_auth(s);
  s.read("certfile", &out->certfile);
  s.read("keyfile", &out->keyfile);
  s.read("keyfile_password", &out->keyfile_password);
  s.read("cafile", &out->cafile);
  s.read("ciphers", &out->ciphers);
  if (s.read("verify_client", &out->verify_client)) {
    out->verify_client = to_lower(out->verify_client);
    if (out->verify_client != "none" && out->verify_client != "optional" &&
        out->verify_client != "required") {
      s.report(Severity::kError, "verify_client",
               "must be none, optional or required, got " + quote_value(out->verify_client));
    }
  }
  s.read("allowlist", &out->allowlist, true);
  s.read("allowlist_include_members", &out->allowlist_include_members);
  s.read("http_extra_headers", &out->http_extra_headers);
  s.read("https_extra_headers", &out->https_extra_headers);
}

void read_ctl(const Section& root, CtlConfig* out) {
  Section s = root.section("ctl");
  s.read("insecure", &out->insecure);
  s.read("cacert", &out->cacert);
  s.read("certfile", &out->certfile);
  s.read("keyfile", &out->keyfile);
  s.read("keyfile_password", &out->keyfile_password);
  out->authentication = read_basic_auth(s);
}

void read_log(const Section& root, LogConfig* out) {
  Section s = root.section("log");
  if (s.read("level", &out->level)) {
    std::string level = to_upper(out->level);
    static const char* const kLevels[] = {"DEBUG", "INFO",     "WARNING", "WARN",
                                          "ERROR", "CRITICAL", "FATAL"};
    if (std::none_of(std::begin(kLevels), std::end(kLevels),
                     [&](const char* l) { return level == l; })) {
      s.report(Severity::kError, "level",
               "must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got " + quote_value(out->level));
    }
    out->level = level;
  }
  std::string type;
  if (s.read("type", &type)) {
    // Patroni 3.3+: plain | json.
    if (type == "plain" || type == "json") {
      out->format = type == "json" ? "json" : "text";
    } else {
      s.report(Severity::kError, "type", "must be plain or json, got " + quote_value(type));
    }
  }
  std::string format;
  if (s.read("format", &format)) {
    if (format == "text" || format == "json") {
      out->format = format;
    } else {
      // Patroni's format is a Python logging template; pghalo has its own line layout.
      s.report(Severity::kWarning, "format",
               "a Python logging template is not implemented; pghalo writes its own text lines "
               "(use type: json for JSON)");
    }
  }
}

void read_watchdog(const Section& root, WatchdogConfig* out) {
  Section s = root.section("watchdog");
  if (const Entry* mode = s.entry("mode"); mode != nullptr && mode->value.is_scalar()) {
    // YAML reads an unquoted `off` as false, which Patroni takes as "off" too.
    std::string text = to_lower(mode->value.text);
    if (text == "require" || text == "required") {
      out->mode = "required";
    } else if (text == "auto" || text == "automatic") {
      out->mode = "automatic";
    } else if (text == "off" || text == "false" || text == "no" || text == "disable" ||
               text == "disabled") {
      out->mode = "off";
    } else {
      s.report(Severity::kError, "mode",
               "must be off, automatic or required, got " + quote_value(mode->value.text));
    }
  } else if (mode != nullptr && !mode->value.is_null()) {
    s.wrong_type("mode", mode->value, "off, automatic or required");
  }
  s.read("device", &out->device);
  s.read("safety_margin", &out->safety_margin, -1, kMaxInt);
}

void read_tags(const Section& root, model::Tags* out, nlohmann::json* raw) {
  Section s = root.section("tags");
  if (!s.present()) return;
  if (const Entry* whole = root.entry("tags")) *raw = to_json(whole->value);
  s.read("nofailover", &out->nofailover);
  s.read("noloadbalance", &out->noloadbalance);
  s.read("clonefrom", &out->clonefrom);
  s.read("nosync", &out->nosync);
  s.read("nostream", &out->nostream);
  int priority = 0;
  if (s.read("failover_priority", &priority, 0, kMaxInt)) out->failover_priority = priority;
  s.read("replicatefrom", &out->replicatefrom);
  static const char* const kBuiltIn[] = {"nofailover",   "noloadbalance", "clonefrom",
                                         "nosync",       "nostream",      "failover_priority",
                                         "replicatefrom"};
  const Entry* tags = root.entry("tags");
  for (const auto& entry : tags->value.entries) {
    if (std::any_of(std::begin(kBuiltIn), std::end(kBuiltIn),
                    [&](const char* b) { return entry.key == b; })) {
      continue;
    }
    out->custom[entry.key] = to_json(entry.value);
  }
}

void read_pghalo(const Section& root, Config* out) {
  Section s = root.section("pghalo");
  s.read("fence_file", &out->fence_file);
  std::string vocabulary;
  if (!s.read("role_vocabulary", &vocabulary)) return;
  if (vocabulary == "master") {
    out->role_vocabulary = model::RoleVocabulary::kMaster;
  } else if (vocabulary == "primary") {
    out->role_vocabulary = model::RoleVocabulary::kPrimary;
  } else {
    s.report(
        Severity::kError, "role_vocabulary",
        "must be master (Patroni 3.0.2) or primary (Patroni 4.x), got " + quote_value(vocabulary));
  }
}

}  // namespace pghalo::config::internal
