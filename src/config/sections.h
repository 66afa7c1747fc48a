// Internal to the config module: one reader per section of the local file, each filling its
// part of Config from the merged document and reporting problems at their source. The order
// they run in, and the checks that span sections, live in local_config.cc.
// Not thread-safe: they append to one diagnostics list.
#pragma once

#include "config/config.h"
#include "config/reader.h"
#include "config/tree.h"

namespace pghalo::config::internal {

// A host:port other machines use to reach this one (`key` of `section`), normalised.
void read_connect_address(const Section& section, std::string_view key, bool required,
                          std::string* out);

void read_restapi(const Section& root, RestApiConfig* out);
void read_ctl(const Section& root, CtlConfig* out);
void read_log(const Section& root, LogConfig* out);
void read_watchdog(const Section& root, WatchdogConfig* out);
void read_tags(const Section& root, model::Tags* out, nlohmann::json* raw);
void read_pghalo(const Section& root, Config* out);

// etcd3 (or the v2 `etcd` section, served over v3 with a notice).
void read_etcd(const Section& root, EtcdConfig* out);

// bootstrap, including bootstrap.dcs typed strictly (errors refuse the file) with the timing
// rule applied, and the notice that wal_keep_segments becomes wal_keep_size on PostgreSQL 13+.
void read_bootstrap(const Section& root, Config* out);

// postgresql; `host` supplies the defaults that depend on the machine (pgpass path).
void read_postgresql(const Section& root, const HostFacts& host, Config* out);

// Fills postgresql.superuser/replication when the file has no authentication for them
// (docs/configuration.md, "How authentication is derived").
void derive_authentication(const Section& root, const HostFacts& host, Config* out);

// Warnings about the machine and the network: bin_dir without pg_ctl, loopback or wildcard
// connect addresses.
void check_host(const Section& root, const HostFacts& host, const Config& config);

}  // namespace pghalo::config::internal
