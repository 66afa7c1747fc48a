// Watcher: follows the cluster prefix in etcd from the last seen revision and tells the agent
// what kind of key changed, so the HA loop can wake before loop_wait ends (spec 1.8).
//
// It resumes from the last seen revision after a broken stream; when etcd cancels the watch
// (compaction) or the revision is lost, it reads the whole prefix again and reports
// kEverything. While etcd is down it retries with exponential backoff and jitter (through the
// Random seam), capped at `max_backoff` (2 s): never a busy loop.
//
// Not here: the cluster view itself (the agent calls ClusterStore::read_cluster() when woken),
// any decision about which changes matter (the agent filters the bits).
//
// Threads: start() runs the loop on its own thread; stop() ends it within about a second (the
// KvApi watch checks the stop flag at least every second). The callback runs on the watcher's
// thread and must return quickly (e.g. notify a condition variable). Tests and the simulator
// call step() from their own thread instead of start(); the two must not be mixed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/random.h"
#include "dcs/etcd/kv_api.h"
#include "dcs/keys.h"

namespace pghalo::dcs::etcd {

// What changed, as a bit set.
enum Change : unsigned {
  kLeaderChanged = 1u << 0,  // `leader` now holds another name (or was created)
  kLeaderDeleted = 1u << 1,  // `leader` was deleted or expired
  kConfigChanged = 1u << 2,
  kFailoverChanged = 1u << 3,
  kSyncChanged = 1u << 4,
  kStatusChanged = 1u << 5,   // `status` or legacy `optime/leader`
  kMembersChanged = 1u << 6,  // any members/<name>
  kOtherChanged = 1u << 7,    // initialize, history, failsafe, unknown keys
  kMemberAdded = 1u << 8,     // a members/<name> key was created: a new or returning member
  kEverything = 0x1ffu,       // the view was rebuilt: anything may have changed
};

using ChangeCallback = std::function<void(unsigned changes)>;

struct WatcherOptions {
  Duration initial_backoff{100};
  Duration max_backoff{2000};
  // Bound of the prefix read that (re)establishes the revision; short so that stop() is quick.
  Duration read_timeout{1000};
};

class Watcher {
 public:
  // `kv` and `random` must outlive the watcher; `random` is used only by the watcher's thread.
  Watcher(KvApi& kv, KeyLayout layout, Random& random, ChangeCallback callback,
          WatcherOptions options = {});
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void start();
  void stop();

  // One round: (re)reads the prefix when no revision is known, then one KvApi::watch call.
  // Returns how that ended; `delivered` tells whether any batch arrived (progress resets the
  // backoff).
  Status step(bool* delivered = nullptr);
  // The pause before the next round after a round without progress; grows to max_backoff.
  Duration next_backoff();
  Revision last_revision() const { return Revision(revision_.load()); }

 private:
  void run();
  Status resync();
  unsigned classify(const WatchBatch& batch);

  KvApi& kv_;
  const KeyLayout layout_;
  Random& random_;
  ChangeCallback callback_;
  const WatcherOptions options_;

  std::atomic<std::int64_t> revision_{0};  // last revision seen; 0: read the prefix first
  std::optional<std::string> leader_value_;
  bool synced_once_ = false;
  int failures_ = 0;

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace pghalo::dcs::etcd
