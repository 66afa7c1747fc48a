#include "sim_clock.h"

namespace pghalo::sim {
namespace {

MonoTime mono(Ms ms) { return MonoTime(std::chrono::milliseconds(ms)); }

Ms ms_of(MonoTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

WallTime sim_wall_epoch() {
  // 2026-11-26 20:00:00 UTC
  return WallTime(std::chrono::seconds(1795723200));
}

MonoTime EtcdClock::now() const { return mono(stopped_ ? stopped_at_ : time_.now); }

WallTime EtcdClock::wall_now() const {
  return sim_wall_epoch() + std::chrono::milliseconds(stopped_ ? stopped_at_ : time_.now);
}

Ms NodeClock::at(Ms global) const {
  return anchor_node_ + (global - anchor_global_) * rate_ppm_ / kPpm;
}

MonoTime NodeClock::now() const { return mono(node_ms()); }

WallTime NodeClock::wall_now() const {
  // The wall clock follows the node's own rate from the epoch, plus any NTP steps.
  return sim_wall_epoch() + std::chrono::milliseconds(node_ms() - origin_ + wall_offset_);
}

Ms NodeClock::global_when(Ms node_target) const {
  if (node_ms() >= node_target) return time_.now;
  Ms g = anchor_global_ + ((node_target - anchor_node_) * kPpm + rate_ppm_ - 1) / rate_ppm_;
  // Integer rounding: step to the first instant that really reads the target (bounded).
  for (int i = 0; i < 4 && at(g) < node_target; ++i) ++g;
  return g < time_.now ? time_.now : g;
}

Ms NodeClock::global_when(MonoTime t) const { return global_when(ms_of(t)); }

void NodeClock::set_rate(std::int64_t ppm) {
  anchor_node_ = node_ms();
  anchor_global_ = time_.now;
  rate_ppm_ = ppm;
}

void NodeClock::jump(Ms forward) { anchor_node_ += forward; }

}  // namespace pghalo::sim
