// The table of known keys (see known_keys.h); the walk over a document is in key_check.cc.
#include "config/known_keys.h"

#include <algorithm>
#include <string>

namespace pghalo::config::internal {
namespace {

using K = KeyKind;

constexpr std::string_view kOtherDcs = "pghalo uses etcd v3 only (the etcd3 section)";
constexpr std::string_view kDynamicHere =
    "a dynamic setting: Patroni ignores it in the local file; put it under bootstrap.dcs or "
    "change it with patronictl edit-config";
constexpr std::string_view kLogOutput = "pghalo logs to stderr (journald) in its own format";

// Patroni 3.0.2's keys (config.py, validator.py and the modules that read the sections), with
// the later keys a Patroni user is likely to have. Keys inside `etcd` are listed once under
// `etcd3`; the legacy user sections postgresql.{superuser,replication,pg_rewind} reuse the
// `postgresql.authentication.*` rows (see canonical_pattern()).
constexpr KnownKey kKeys[] = {
    {"name", K::kValue, ""},
    {"scope", K::kValue, ""},
    {"namespace", K::kValue, ""},
    {"restapi", K::kSection, ""},
    {"ctl", K::kSection, ""},
    {"etcd", K::kSection, ""},
    {"etcd3", K::kSection, ""},
    {"bootstrap", K::kSection, ""},
    {"postgresql", K::kSection, ""},
    {"tags", K::kFreeForm, ""},
    {"watchdog", K::kSection, ""},
    {"log", K::kSection, ""},
    {"pghalo", K::kSection, ""},
    {"consul", K::kNotImplemented, kOtherDcs},
    {"zookeeper", K::kNotImplemented, kOtherDcs},
    {"exhibitor", K::kNotImplemented, kOtherDcs},
    {"kubernetes", K::kNotImplemented, kOtherDcs},
    {"raft", K::kNotImplemented, kOtherDcs},
    {"citus", K::kNotImplemented, "Citus clusters are out of scope"},
    {"ttl", K::kIgnoredHere, kDynamicHere},
    {"loop_wait", K::kIgnoredHere, kDynamicHere},
    {"retry_timeout", K::kIgnoredHere, kDynamicHere},
    {"maximum_lag_on_failover", K::kIgnoredHere, kDynamicHere},
    {"maximum_lag_on_syncnode", K::kIgnoredHere, kDynamicHere},
    {"check_timeline", K::kIgnoredHere, kDynamicHere},
    {"max_timelines_history", K::kIgnoredHere, kDynamicHere},
    {"primary_start_timeout", K::kIgnoredHere, kDynamicHere},
    {"primary_stop_timeout", K::kIgnoredHere, kDynamicHere},
    {"master_start_timeout", K::kIgnoredHere, kDynamicHere},
    {"master_stop_timeout", K::kIgnoredHere, kDynamicHere},
    {"synchronous_mode", K::kIgnoredHere, kDynamicHere},
    {"synchronous_mode_strict", K::kIgnoredHere, kDynamicHere},
    {"synchronous_node_count", K::kIgnoredHere, kDynamicHere},
    {"failsafe_mode", K::kIgnoredHere, kDynamicHere},
    {"standby_cluster", K::kIgnoredHere, kDynamicHere},
    {"slots", K::kIgnoredHere, kDynamicHere},
    {"ignore_slots", K::kIgnoredHere, kDynamicHere},

    {"restapi.listen", K::kValue, ""},
    {"restapi.connect_address", K::kValue, ""},
    {"restapi.authentication", K::kSection, ""},
    {"restapi.authentication.username", K::kValue, ""},
    {"restapi.authentication.password", K::kValue, ""},
    {"restapi.certfile", K::kValue, ""},
    {"restapi.keyfile", K::kValue, ""},
    {"restapi.keyfile_password", K::kValue, ""},
    {"restapi.cafile", K::kValue, ""},
    {"restapi.ciphers", K::kValue, ""},
    {"restapi.verify_client", K::kValue, ""},
    {"restapi.allowlist", K::kValue, ""},
    {"restapi.allowlist_include_members", K::kValue, ""},
    {"restapi.http_extra_headers", K::kFreeForm, ""},
    {"restapi.https_extra_headers", K::kFreeForm, ""},
    {"restapi.request_queue_size", K::kNotImplemented, "Patroni 3.0.3+ listen backlog"},
    {"restapi.server_tokens", K::kNotImplemented, "Patroni 4.x Server header control"},

    {"ctl.insecure", K::kValue, ""},
    {"ctl.cacert", K::kValue, ""},
    {"ctl.certfile", K::kValue, ""},
    {"ctl.keyfile", K::kValue, ""},
    {"ctl.keyfile_password", K::kValue, ""},
    {"ctl.authentication", K::kSection, ""},
    {"ctl.authentication.username", K::kValue, ""},
    {"ctl.authentication.password", K::kValue, ""},

    {"etcd3.host", K::kValue, ""},
    {"etcd3.hosts", K::kValue, ""},
    {"etcd3.port", K::kValue, ""},
    {"etcd3.url", K::kValue, ""},
    {"etcd3.proxy", K::kValue, ""},
    {"etcd3.protocol", K::kValue, ""},
    {"etcd3.use_proxies", K::kValue, ""},
    {"etcd3.username", K::kValue, ""},
    {"etcd3.password", K::kValue, ""},
    {"etcd3.cacert", K::kValue, ""},
    {"etcd3.cert", K::kValue, ""},
    {"etcd3.key", K::kValue, ""},
    {"etcd3.cert_key_password", K::kValue, ""},
    {"etcd3.srv", K::kNotImplemented, "DNS SRV discovery; list the endpoints in hosts"},
    {"etcd3.srv_suffix", K::kNotImplemented, "DNS SRV discovery; list the endpoints in hosts"},
    {"etcd3.discovery_srv", K::kNotImplemented, "DNS SRV discovery; list the endpoints in hosts"},
    {"etcd3.srv_domain", K::kNotImplemented, "DNS SRV discovery; list the endpoints in hosts"},

    {"log.level", K::kValue, ""},
    {"log.format", K::kValue, ""},
    {"log.type", K::kValue, ""},
    {"log.traceback_level", K::kNotImplemented, kLogOutput},
    {"log.dateformat", K::kNotImplemented, kLogOutput},
    {"log.max_queue_size", K::kNotImplemented, kLogOutput},
    {"log.dir", K::kNotImplemented, kLogOutput},
    {"log.file_num", K::kNotImplemented, kLogOutput},
    {"log.file_size", K::kNotImplemented, kLogOutput},
    {"log.loggers", K::kNotImplemented, kLogOutput},
    {"log.static_fields", K::kNotImplemented, kLogOutput},
    {"log.mode", K::kNotImplemented, kLogOutput},
    {"log.deduplicate_heartbeat_logs", K::kNotImplemented, kLogOutput},

    {"watchdog.mode", K::kValue, ""},
    {"watchdog.device", K::kValue, ""},
    {"watchdog.safety_margin", K::kValue, ""},
    {"watchdog.driver", K::kNotImplemented, "only the Linux /dev/watchdog driver exists"},

    {"pghalo.role_vocabulary", K::kValue, ""},
    {"pghalo.fence_file", K::kValue, ""},

    {"bootstrap.dcs", K::kSection, ""},
    {"bootstrap.method", K::kValue, ""},
    {"bootstrap.initdb", K::kValue, ""},
    {"bootstrap.pg_hba", K::kValue, ""},
    {"bootstrap.users", K::kSection, ""},
    {"bootstrap.users.*", K::kSection, ""},
    {"bootstrap.users.*.password", K::kValue, ""},
    {"bootstrap.users.*.options", K::kValue, ""},
    {"bootstrap.post_bootstrap", K::kValue, ""},
    {"bootstrap.post_init", K::kValue, ""},

    {"bootstrap.dcs.ttl", K::kValue, ""},
    {"bootstrap.dcs.loop_wait", K::kValue, ""},
    {"bootstrap.dcs.retry_timeout", K::kValue, ""},
    {"bootstrap.dcs.maximum_lag_on_failover", K::kValue, ""},
    {"bootstrap.dcs.maximum_lag_on_syncnode", K::kValue, ""},
    {"bootstrap.dcs.check_timeline", K::kValue, ""},
    {"bootstrap.dcs.max_timelines_history", K::kValue, ""},
    {"bootstrap.dcs.primary_start_timeout", K::kValue, ""},
    {"bootstrap.dcs.primary_stop_timeout", K::kValue, ""},
    {"bootstrap.dcs.master_start_timeout", K::kValue, ""},
    {"bootstrap.dcs.master_stop_timeout", K::kValue, ""},
    {"bootstrap.dcs.synchronous_mode", K::kValue, ""},
    {"bootstrap.dcs.synchronous_mode_strict", K::kValue, ""},
    {"bootstrap.dcs.synchronous_node_count", K::kValue, ""},
    {"bootstrap.dcs.failsafe_mode", K::kValue, ""},
    {"bootstrap.dcs.pause", K::kValue, ""},
    {"bootstrap.dcs.slots", K::kVerbatim, ""},
    {"bootstrap.dcs.ignore_slots", K::kVerbatim, ""},
    {"bootstrap.dcs.standby_cluster", K::kSection, ""},
    {"bootstrap.dcs.standby_cluster.host", K::kValue, ""},
    {"bootstrap.dcs.standby_cluster.port", K::kValue, ""},
    {"bootstrap.dcs.standby_cluster.primary_slot_name", K::kValue, ""},
    {"bootstrap.dcs.standby_cluster.create_replica_methods", K::kValue, ""},
    {"bootstrap.dcs.standby_cluster.restore_command", K::kValue, ""},
    {"bootstrap.dcs.standby_cluster.archive_cleanup_command", K::kValue, ""},
    {"bootstrap.dcs.standby_cluster.recovery_min_apply_delay", K::kValue, ""},
    {"bootstrap.dcs.postgresql", K::kSection, ""},
    {"bootstrap.dcs.postgresql.use_slots", K::kValue, ""},
    {"bootstrap.dcs.postgresql.use_pg_rewind", K::kValue, ""},
    {"bootstrap.dcs.postgresql.remove_data_directory_on_rewind_failure", K::kValue, ""},
    {"bootstrap.dcs.postgresql.remove_data_directory_on_diverged_timelines", K::kValue, ""},
    {"bootstrap.dcs.postgresql.parameters", K::kFreeForm, ""},
    {"bootstrap.dcs.postgresql.pg_hba", K::kValue, ""},
    {"bootstrap.dcs.postgresql.pg_ident", K::kValue, ""},
    {"bootstrap.dcs.postgresql.recovery_conf", K::kFreeForm, ""},
    {"bootstrap.dcs.member_slots_ttl", K::kNotImplemented, "Patroni 4.x setting"},
    {"bootstrap.dcs.primary_race_backoff", K::kNotImplemented, "Patroni 4.x setting"},

    {"postgresql.name", K::kValue, ""},
    {"postgresql.listen", K::kValue, ""},
    {"postgresql.connect_address", K::kValue, ""},
    {"postgresql.proxy_address", K::kValue, ""},
    {"postgresql.data_dir", K::kValue, ""},
    {"postgresql.config_dir", K::kValue, ""},
    {"postgresql.bin_dir", K::kValue, ""},
    {"postgresql.pgpass", K::kValue, ""},
    {"postgresql.authentication", K::kSection, ""},
    {"postgresql.authentication.superuser", K::kSection, ""},
    {"postgresql.authentication.replication", K::kSection, ""},
    {"postgresql.authentication.rewind", K::kSection, ""},
    {"postgresql.authentication.*.username", K::kValue, ""},
    {"postgresql.authentication.*.password", K::kValue, ""},
    {"postgresql.authentication.*.sslmode", K::kValue, ""},
    {"postgresql.authentication.*.sslkey", K::kValue, ""},
    {"postgresql.authentication.*.sslpassword", K::kValue, ""},
    {"postgresql.authentication.*.sslcert", K::kValue, ""},
    {"postgresql.authentication.*.sslrootcert", K::kValue, ""},
    {"postgresql.authentication.*.sslcrl", K::kValue, ""},
    {"postgresql.authentication.*.sslcrldir", K::kValue, ""},
    {"postgresql.authentication.*.gssencmode", K::kValue, ""},
    {"postgresql.authentication.*.channel_binding", K::kValue, ""},
    {"postgresql.authentication.*.sslnegotiation", K::kNotImplemented, "Patroni 4.x option"},
    {"postgresql.superuser", K::kSection, ""},
    {"postgresql.replication", K::kSection, ""},
    {"postgresql.pg_rewind", K::kSection, ""},
    {"postgresql.parameters", K::kFreeForm, ""},
    {"postgresql.pg_hba", K::kValue, ""},
    {"postgresql.pg_ident", K::kValue, ""},
    {"postgresql.callbacks", K::kSection, ""},
    {"postgresql.callbacks.on_start", K::kValue, ""},
    {"postgresql.callbacks.on_stop", K::kValue, ""},
    {"postgresql.callbacks.on_restart", K::kValue, ""},
    {"postgresql.callbacks.on_reload", K::kValue, ""},
    {"postgresql.callbacks.on_role_change", K::kValue, ""},
    {"postgresql.create_replica_methods", K::kValue, ""},
    {"postgresql.create_replica_method", K::kValue, ""},
    {"postgresql.basebackup", K::kValue, ""},
    {"postgresql.pg_ctl_timeout", K::kValue, ""},
    {"postgresql.use_pg_rewind", K::kValue, ""},
    {"postgresql.remove_data_directory_on_rewind_failure", K::kValue, ""},
    {"postgresql.remove_data_directory_on_diverged_timelines", K::kValue, ""},
    {"postgresql.recovery_conf", K::kFreeForm, ""},
    {"postgresql.custom_conf", K::kValue, ""},
    {"postgresql.use_unix_socket", K::kValue, ""},
    {"postgresql.use_unix_socket_repl", K::kValue, ""},
    {"postgresql.pre_promote", K::kValue, ""},
    {"postgresql.before_stop", K::kValue, ""},
    {"postgresql.database", K::kValue, ""},
    {"postgresql.use_slots", K::kIgnoredHere,
     "Patroni reads use_slots only from the dynamic configuration "
     "(bootstrap.dcs.postgresql.use_slots)"},
    {"postgresql.krbsrvname", K::kNotImplemented, "Kerberos service name"},
    {"postgresql.config_base_name", K::kNotImplemented, "pghalo always writes postgresql.conf"},
    {"postgresql.bin_name", K::kNotImplemented, "Patroni 3.0.3+ renamed binaries"},
};

}  // namespace

std::span<const KnownKey> known_keys() { return kKeys; }

bool is_local_only_postgresql_key(std::string_view key) {
  static constexpr std::string_view kLocalOnly[] = {"connect_address", "proxy_address", "listen",
                                                    "config_dir",      "data_dir",      "pgpass",
                                                    "authentication"};
  return std::find(std::begin(kLocalOnly), std::end(kLocalOnly), key) != std::end(kLocalOnly);
}

std::string canonical_pattern(std::string pattern) {
  if (pattern.rfind("etcd.", 0) == 0) pattern.replace(0, 4, "etcd3");
  for (std::string_view legacy :
       {"postgresql.superuser.", "postgresql.replication.", "postgresql.pg_rewind.",
        "postgresql.authentication.superuser.", "postgresql.authentication.replication.",
        "postgresql.authentication.rewind."}) {
    if (pattern.rfind(legacy, 0) == 0) {
      pattern.replace(0, legacy.size(), "postgresql.authentication.*.");
    }
  }
  return pattern;
}

const KnownKey* find_known_key(std::string_view pattern) {
  std::string canonical = canonical_pattern(std::string(pattern));
  for (const auto& known : kKeys) {
    if (known.pattern == canonical) return &known;
  }
  return nullptr;
}

}  // namespace pghalo::config::internal
