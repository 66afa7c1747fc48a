#include "common/strings.h"

#include <gtest/gtest.h>

namespace pghalo {
namespace {

TEST(StringsTest, SplitTrimsAndSkipsEmptyParts) {
  EXPECT_EQ(split(" a:1, b:2 ,,c ", ','), (std::vector<std::string>{"a:1", "b:2", "c"}));
}

TEST(StringsTest, ParseIntRejectsJunk) {
  EXPECT_EQ(parse_int64("42"), 42);
  EXPECT_EQ(parse_int64("-7"), -7);
  EXPECT_FALSE(parse_int64("4x"));
  EXPECT_FALSE(parse_int64(""));
  EXPECT_FALSE(parse_uint64("-1"));
  EXPECT_FALSE(parse_int64("99999999999999999999"));
}

TEST(StringsTest, ByteSizesUsePowersOf1024) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("1024kB"), 1048576u);
  EXPECT_EQ(parse_byte_size("16MB"), 16u << 20);
  EXPECT_EQ(parse_byte_size("1GB"), 1u << 30);
  EXPECT_FALSE(parse_byte_size("1mb"));
  EXPECT_FALSE(parse_byte_size("MB"));
}

TEST(StringsTest, LsnRoundTrips) {
  EXPECT_EQ(parse_lsn("0/4000060"), 0x4000060u);
  EXPECT_EQ(parse_lsn("16/B374D848"), (0x16ULL << 32) | 0xB374D848ULL);
  EXPECT_EQ(format_lsn(0x4000060), "0/4000060");
  EXPECT_FALSE(parse_lsn("nope"));
}

TEST(StringsTest, Base64RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "/service/batman/leader",
                                                      std::string("\0\xff", 2)}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("leader"), "bGVhZGVy");
  EXPECT_FALSE(base64_decode("!!"));
}

TEST(StringsTest, PrefixRangeEndIncrementsTheLastByte) {
  EXPECT_EQ(prefix_range_end("/service/batman/"), "/service/batman0");
  EXPECT_EQ(prefix_range_end(std::string("a\xff", 2)), "b");
}

}  // namespace
}  // namespace pghalo
