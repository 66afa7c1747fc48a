// A status snapshot with the REST documents rendered once: the status document and /metrics for
// both states of the cluster view (fresh or expired), /cluster, /history, /config. Health checks
// then answer with a shared pointer to ready bytes, which is what lets one core serve tens of
// thousands of checks a second. Immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "api/status_document.h"
#include "model/status.h"

namespace pghalo::api {

class RenderedSnapshot {
 public:
  // What depends on whether the cluster view is still fresh at request time.
  struct Variant {
    NodeStatus node;
    std::shared_ptr<const std::string> status_json;
    std::shared_ptr<const std::string> metrics;
  };

  explicit RenderedSnapshot(std::shared_ptr<const model::StatusSnapshot> snapshot);

  const model::StatusSnapshot& snapshot() const { return *snapshot_; }
  const model::StatusSnapshot* source() const { return snapshot_.get(); }
  const Variant& variant(MonoTime now) const {
    return snapshot_->has_cluster_view(now) ? fresh_ : expired_;
  }
  // Null when the snapshot has no cluster view at all (before the first read of etcd).
  const std::shared_ptr<const std::string>& cluster_json() const { return cluster_json_; }
  const std::shared_ptr<const std::string>& history_json() const { return history_json_; }
  // Null when /config is absent (GET /config answers 502 then).
  const std::shared_ptr<const std::string>& config_json() const { return config_json_; }

 private:
  std::shared_ptr<const model::StatusSnapshot> snapshot_;
  Variant fresh_;
  Variant expired_;
  std::shared_ptr<const std::string> cluster_json_;
  std::shared_ptr<const std::string> history_json_;
  std::shared_ptr<const std::string> config_json_;
};

}  // namespace pghalo::api
