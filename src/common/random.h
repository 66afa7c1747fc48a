// Random seam: every random choice (jitter, shuffling endpoints, picking a clone source) goes
// through it so the simulator can replay a run from one seed.
// SeededRandom is not thread-safe; give each thread its own or guard it.
#pragma once

#include <cstdint>

namespace pghalo {

class Random {
 public:
  virtual ~Random() = default;
  virtual std::uint64_t next_u64() = 0;

  // Uniform in [lo, hi] (inclusive); lo <= hi.
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi);
  // Uniform in [0, 1).
  double unit();
  bool chance(double probability) { return unit() < probability; }
};

// xoshiro256** seeded through splitmix64: fast, small, and identical on every platform.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  std::uint64_t next_u64() override;

 private:
  std::uint64_t s_[4];
};

// Seeded from std::random_device; for production wiring only.
SeededRandom make_entropy_random();

}  // namespace pghalo
