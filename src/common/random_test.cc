#include "common/random.h"

#include <gtest/gtest.h>

namespace pghalo {
namespace {

TEST(RandomTest, SameSeedGivesTheSameSequence) {
  SeededRandom a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    auto va = a.next_u64();
    EXPECT_EQ(va, b.next_u64());
    (void)c;
  }
  SeededRandom d(42), e(43);
  EXPECT_NE(d.next_u64(), e.next_u64());
}

TEST(RandomTest, UniformStaysInBounds) {
  SeededRandom r(7);
  for (int i = 0; i < 1000; ++i) {
    auto v = r.uniform(10, 20);
    EXPECT_GE(v, 10u);
    EXPECT_LE(v, 20u);
    double u = r.unit();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace pghalo
