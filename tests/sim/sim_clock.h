// Virtual time for the simulator. One global instant (`Ms` since the run began) is the truth:
// etcd's leases, client writes and invariants are judged on it. Each node reads it through its
// own NodeClock (the Clock seam the Agent, its store and its job runner use): a monotonic clock
// with its own origin, a rate that drifts, forward jumps, and a wall clock that can be stepped.
// Not thread-safe: the simulator runs on one thread.
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace pghalo::sim {

using Ms = std::int64_t;  // virtual milliseconds

inline constexpr Ms kSecond = 1000;
inline constexpr std::int64_t kPpm = 1'000'000;

// The global virtual instant, shared by every clock of one run.
struct VirtualTime {
  Ms now = 0;
};

// etcd's clock (the etcd leader's): global time, except that it stands still while etcd has no
// quorum (no leader can revoke a lease then; the next leader restarts every countdown).
class EtcdClock final : public Clock {
 public:
  explicit EtcdClock(const VirtualTime& time) : time_(time) {}
  MonoTime now() const override;
  WallTime wall_now() const override;
  void stop() {
    if (!stopped_) stopped_at_ = time_.now;
    stopped_ = true;
  }
  void resume() { stopped_ = false; }

 private:
  const VirtualTime& time_;
  bool stopped_ = false;
  Ms stopped_at_ = 0;
};

class NodeClock final : public Clock {
 public:
  // `origin`: what this node's monotonic clock reads at global instant 0 (nodes differ, so a
  // MonoTime that crosses nodes is caught).
  NodeClock(const VirtualTime& time, Ms origin)
      : time_(time), origin_(origin), anchor_node_(origin) {}

  MonoTime now() const override;
  WallTime wall_now() const override;

  Ms node_ms() const { return at(time_.now); }
  Ms at(Ms global) const;
  // The earliest global instant at or after now when this clock reads at least `node_target`.
  Ms global_when(Ms node_target) const;
  Ms global_when(MonoTime t) const;

  // Runs at `ppm` millionths of real speed from now on (1'000'000 = exact).
  void set_rate(std::int64_t ppm);
  std::int64_t rate() const { return rate_ppm_; }
  // The monotonic clock leaps forward (a paused VM whose clock catches up).
  void jump(Ms forward);
  // NTP steps the wall clock; the monotonic clock is unaffected.
  void jump_wall(Ms delta) { wall_offset_ += delta; }

 private:
  const VirtualTime& time_;
  Ms origin_;
  Ms anchor_global_ = 0;
  Ms anchor_node_ = 0;
  std::int64_t rate_ppm_ = kPpm;
  Ms wall_offset_ = 0;
};

// The wall-clock instant of global time 0 (a fixed date, so traces read the same every run).
WallTime sim_wall_epoch();

}  // namespace pghalo::sim
