// Clock seam: monotonic time for deadlines and leases, wall time for what humans and Patroni read
// (ISO timestamps, dcs_last_seen). The simulator substitutes a virtual clock per node.
// Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace pghalo {

using Duration = std::chrono::milliseconds;
using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

using std::chrono::milliseconds;
using std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
  virtual WallTime wall_now() const = 0;
};

// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  MonoTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to; for unit tests and the simulator. Thread-safe only for
// single-threaded use (tests and the simulator drive it from one thread).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime wall_start = WallTime(std::chrono::hours(24 * 365 * 56)))
      : wall_start_(wall_start) {}
  MonoTime now() const override { return MonoTime(elapsed_); }
  WallTime wall_now() const override {
    return wall_start_ + std::chrono::duration_cast<WallTime::duration>(elapsed_ + wall_offset_);
  }
  void advance(Duration d) { elapsed_ += d; }
  // Moves only the wall clock (NTP step); monotonic time is unaffected.
  void jump_wall(Duration d) { wall_offset_ += d; }

 private:
  WallTime wall_start_;
  Duration elapsed_{0};
  Duration wall_offset_{0};
};

// Seconds as a double, for logs and JSON.
inline double to_seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

// ISO 8601 with microseconds and a +00:00 offset, as Patroni writes timestamps
// (e.g. "2023-05-02T10:11:12.345678+00:00").
std::string format_iso8601(WallTime t);
// Python str(datetime) form used in REST bodies: "2023-05-02 10:11:12.345678+00:00".
std::string format_python_datetime(WallTime t);
// Epoch seconds (integer part), as in dcs_last_seen.
long long epoch_seconds(WallTime t);

}  // namespace pghalo
