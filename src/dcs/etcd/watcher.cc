#include "dcs/etcd/watcher.h"

#include <algorithm>

#include "common/log.h"

namespace pghalo::dcs::etcd {

Watcher::Watcher(KvApi& kv, KeyLayout layout, Random& random, ChangeCallback callback,
                 WatcherOptions options)
    : kv_(kv),
      layout_(std::move(layout)),
      random_(random),
      callback_(std::move(callback)),
      options_(options) {}

Watcher::~Watcher() { stop(); }

void Watcher::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Watcher::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watcher::run() {
  while (!stop_) {
    bool delivered = false;
    Status status = step(&delivered);
    if (stop_) break;
    if (delivered) continue;                    // progress: resume at once
    Duration pause = options_.initial_backoff;  // a stream that ended quietly: resume soon
    if (!status.ok()) {
      log::warn("etcd_watch_failed", "etcd watch failed; retrying",
                {{"error", status.error().message}});
      pause = next_backoff();
    }
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, pause, [this] { return stop_.load(); });
  }
}

Duration Watcher::next_backoff() {
  int exponent = std::min(failures_++, 20);
  Duration base = std::min(options_.max_backoff, options_.initial_backoff * (1L << exponent));
  // Jitter in [base/2, base] so that agents do not retry in lockstep.
  auto half = static_cast<std::uint64_t>(base.count() / 2);
  return Duration(static_cast<Duration::rep>(half + random_.uniform(0, half)));
}

Status Watcher::resync() {
  auto range = kv_.range(layout_.prefix(), layout_.prefix_end(), /*serializable=*/false,
                         options_.read_timeout);
  if (!range.ok()) return range.error();
  leader_value_.reset();
  for (const auto& kv : range->kvs) {
    if (layout_.relative(kv.key) == std::string(kLeaderKey)) leader_value_ = kv.value;
  }
  revision_ = range->header_revision.value;
  if (synced_once_) callback_(kEverything);
  synced_once_ = true;
  return ok_status();
}

unsigned Watcher::classify(const WatchBatch& batch) {
  unsigned changes = 0;
  for (const auto& event : batch.events) {
    revision_ = std::max(revision_.load(), event.kv.mod_revision.value);
    auto relative = layout_.relative(event.kv.key);
    if (!relative) continue;
    bool deleted = event.type == WatchEvent::Type::kDelete;
    if (*relative == kLeaderKey) {
      if (deleted) {
        changes |= kLeaderDeleted;
        leader_value_.reset();
      } else if (leader_value_ != event.kv.value) {  // a lease move keeps the name: no change
        changes |= kLeaderChanged;
        leader_value_ = event.kv.value;
      }
    } else if (*relative == kConfigKey) {
      changes |= kConfigChanged;
    } else if (*relative == kFailoverKey) {
      changes |= kFailoverChanged;
    } else if (*relative == kSyncKey) {
      changes |= kSyncChanged;
    } else if (*relative == kStatusKey || *relative == kLegacyOptimeKey) {
      changes |= kStatusChanged;
    } else if (member_name_of(*relative)) {
      changes |= kMembersChanged;
      if (!deleted && event.kv.create_revision == event.kv.mod_revision) changes |= kMemberAdded;
    } else {
      changes |= kOtherChanged;
    }
  }
  return changes;
}

Status Watcher::step(bool* delivered) {
  if (delivered) *delivered = false;
  if (revision_ == 0) {
    PGHALO_TRY(resync());
  }
  bool got_batch = false;
  Status status = kv_.watch(
      layout_.prefix(), layout_.prefix_end(), Revision(revision_ + 1),
      [&](const WatchBatch& batch) {
        if (batch.canceled) {
          log::info("etcd_watch_canceled", "etcd canceled the watch; reading the cluster again",
                    {{"compact_revision", batch.compact_revision.value}});
          revision_ = 0;  // the next step re-reads the prefix and reports kEverything
          return false;
        }
        got_batch = true;
        failures_ = 0;
        if (unsigned changes = classify(batch); changes != 0) callback_(changes);
        return !stop_.load();
      },
      stop_);
  if (delivered) *delivered = got_batch;
  if (revision_ == 0 && !stop_) {
    // Canceled: rebuild right away rather than waiting for the next round.
    Status resynced = resync();
    if (delivered && resynced.ok()) *delivered = true;
    return resynced;
  }
  return status;
}

}  // namespace pghalo::dcs::etcd
