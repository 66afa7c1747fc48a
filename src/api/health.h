// The health-check rules of spec 3.3 (`/`, `/primary`, `/replica?lag=&tag_x=`, `/read-only`,
// `/sync`, ...) and the probes of 3.4 (`/liveness`, `/readiness`): status codes computed from a
// snapshot and the current time. These codes are what HAProxy, Kubernetes and confd act on, so
// they follow Patroni 3.0.2 rule by rule, including its substring matching order. Pure functions;
// thread-safe.
#pragma once

#include <map>
#include <string>

#include "api/status_document.h"
#include "common/clock.h"
#include "model/status.h"

namespace pghalo::api {

// The code a GET/HEAD/OPTIONS on `path` gets from the generic health-check handler.
int health_check_status(const std::string& path, const std::map<std::string, std::string>& query,
                        const model::StatusSnapshot& snapshot, const NodeStatus& node,
                        MonoTime now);

// `?tag_<key>=<value>` filters: true when every one matches the configured tags (spec 3.3).
bool tags_match(const std::map<std::string, std::string>& query,
                const model::StatusSnapshot& snapshot);

int liveness_status(const model::StatusSnapshot& snapshot, MonoTime now);
int readiness_status(const model::StatusSnapshot& snapshot, const NodeStatus& node, MonoTime now);

}  // namespace pghalo::api
