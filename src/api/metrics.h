// `GET /metrics`: the Prometheus text exposition of spec 3.4, with the metric names, types,
// label set ({scope="..."}) and values of Patroni 3.0.2, so existing dashboards and alerts keep
// working. The HELP sentences are our own; BASE's stray space before `{` in
// patroni_postgres_server_version is not reproduced. Pure; thread-safe.
#pragma once

#include <string>

#include "api/status_document.h"
#include "model/status.h"

namespace pghalo::api {

std::string metrics_text(const model::StatusSnapshot& snapshot, const NodeStatus& node);

// "3.0.2" -> "030002" (each component zero-padded to two digits).
std::string padded_version(const std::string& version);

}  // namespace pghalo::api
