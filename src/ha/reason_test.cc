#include "ha/reason.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace pghalo::ha {
namespace {

TEST(ReasonTest, NamesAreSnakeCaseAndUnique) {
  std::set<std::string> seen;
  for (Reason r : all_reasons()) {
    std::string name(reason_name(r));
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9')) << name;
    EXPECT_FALSE(reason_summary(r).empty());
  }
  EXPECT_EQ(reason_name(Reason::kLeaderHealthy), "leader_healthy");
}

TEST(ReasonTest, EveryReasonIsDocumentedInTheDecisionTable) {
  std::ifstream doc(std::string(PGHALO_SOURCE_DIR) + "/docs/ha-decisions.md");
  ASSERT_TRUE(doc.good()) << "docs/ha-decisions.md is missing";
  std::stringstream text;
  text << doc.rdbuf();
  for (Reason r : all_reasons()) {
    EXPECT_NE(text.str().find("`" + std::string(reason_name(r)) + "`"), std::string::npos)
        << reason_name(r) << " is not in docs/ha-decisions.md";
  }
}

}  // namespace
}  // namespace pghalo::ha
