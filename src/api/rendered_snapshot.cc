#include "api/rendered_snapshot.h"

#include "api/metrics.h"
#include "api/python_json.h"

namespace pghalo::api {
namespace {

RenderedSnapshot::Variant render_variant(const model::StatusSnapshot& s, bool view_valid) {
  RenderedSnapshot::Variant v;
  v.node = node_status(s, view_valid);
  v.status_json = std::make_shared<const std::string>(python_json(status_document(s, v.node)));
  v.metrics = std::make_shared<const std::string>(metrics_text(s, v.node));
  return v;
}

}  // namespace

RenderedSnapshot::RenderedSnapshot(std::shared_ptr<const model::StatusSnapshot> snapshot)
    : snapshot_(std::move(snapshot)),
      fresh_(render_variant(*snapshot_, true)),
      expired_(render_variant(*snapshot_, false)) {
  if (!snapshot_->cluster) return;
  const model::ClusterState& cluster = *snapshot_->cluster;
  cluster_json_ = std::make_shared<const std::string>(python_json(cluster_document(cluster)));
  history_json_ = std::make_shared<const std::string>(python_json(history_document(cluster)));
  if (cluster.config && !cluster.config->is_null()) {
    config_json_ = std::make_shared<const std::string>(python_json(*cluster.config));
  }
}

}  // namespace pghalo::api
