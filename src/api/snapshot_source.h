// Where the REST API gets the agent's latest status snapshot. The agent publishes an immutable
// snapshot after every cycle and state change; HTTP threads read the current one and never wait
// for PostgreSQL or etcd. SnapshotHolder is the ready-made implementation (a shared_ptr swapped
// under a mutex held for a pointer copy); tests implement the interface to feed snapshots.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "model/status.h"

namespace pghalo::api {

class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // The latest snapshot, or null before the agent published its first one. Never blocks beyond a
  // pointer copy.
  virtual std::shared_ptr<const model::StatusSnapshot> current() const = 0;
};

class SnapshotHolder final : public SnapshotSource {
 public:
  void publish(std::shared_ptr<const model::StatusSnapshot> snapshot) {
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(snapshot);
  }
  std::shared_ptr<const model::StatusSnapshot> current() const override {
    std::lock_guard lock(mutex_);
    return snapshot_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const model::StatusSnapshot> snapshot_;
};

}  // namespace pghalo::api
