#include "common/result.h"

#include <gtest/gtest.h>

namespace pghalo {
namespace {

Result<int> half(int x) {
  if (x % 2) return make_error(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Status half_twice(int x) {
  PGHALO_TRY(half(x));
  PGHALO_TRY(half(x / 2));
  return ok_status();
}

TEST(ResultTest, HoldsAValueOrAnError) {
  EXPECT_EQ(half(4).value(), 2);
  EXPECT_FALSE(half(3).ok());
  EXPECT_EQ(half(3).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(half(3).value_or(-1), -1);
}

TEST(ResultTest, TryPropagatesTheFirstError) {
  EXPECT_TRUE(half_twice(4).ok());
  EXPECT_EQ(half_twice(6).error().message, "odd");
}

TEST(ResultTest, ErrorToStringNamesTheCode) {
  EXPECT_EQ(make_error(ErrorCode::kTimeout, "etcd").to_string(), "timeout: etcd");
}

TEST(ResultDeathTest, ValueOfAnErrorCrashes) {
  EXPECT_DEATH((void)half(3).value(), "odd");
}

}  // namespace
}  // namespace pghalo
