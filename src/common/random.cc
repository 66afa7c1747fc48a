#include "common/random.h"

#include <random>

#include "common/check.h"

namespace pghalo {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t Random::uniform(std::uint64_t lo, std::uint64_t hi) {
  CHECK(lo <= hi) << lo << " > " << hi;
  std::uint64_t span = hi - lo;
  if (span == UINT64_MAX) return next_u64();
  return lo + next_u64() % (span + 1);
}

double Random::unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

SeededRandom::SeededRandom(std::uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

std::uint64_t SeededRandom::next_u64() {
  std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

SeededRandom make_entropy_random() {
  std::random_device device;
  std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return SeededRandom(seed);
}

}  // namespace pghalo
