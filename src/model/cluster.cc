#include "model/cluster.h"

namespace pghalo::model {

std::int64_t ClusterState::history_timeline() const {
  if (!history) return 0;
  if (history->empty()) return 1;
  return history->back().timeline.value + 1;
}

}  // namespace pghalo::model
