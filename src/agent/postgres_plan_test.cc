#include "agent/postgres_plan.h"

#include <gtest/gtest.h>

namespace pghalo::agent {
namespace {

// Simulator seed 5643: the etcd write before SetSynchronousStandbyNames timed out, so PostgreSQL
// kept '*' (strict, nobody); the next cycle took node2's 'sync' under '*' as a confirmation of
// 'node2' and listed it in /sync, and then another standby acknowledged commits node2 lacked.
TEST(SyncNamesAfterCycle, Seed5643ANamesChangeThatDidNotRunIsNotRemembered) {
  ha::SetSynchronousStandbyNames any{{}, true, 1};
  ha::SetSynchronousStandbyNames node2{{model::MemberName("node2")}, false, 1};
  ha::Decision d;
  d.actions.push_back(node2);
  d.memory.sync_standby_names = node2;
  EXPECT_EQ(sync_names_after_cycle(any, d, /*applied=*/false), any);
  EXPECT_EQ(sync_names_after_cycle(any, d, /*applied=*/true), node2);
}

TEST(SyncNamesAfterCycle, AMemoryChangeWithoutTheActionIsKept) {
  // prepare_sync_for_start: the start job itself writes the list into the files.
  ha::SetSynchronousStandbyNames node2{{model::MemberName("node2")}, false, 1};
  ha::Decision d;
  d.memory.sync_standby_names = node2;
  EXPECT_EQ(sync_names_after_cycle(std::nullopt, d, false), node2);
}

}  // namespace
}  // namespace pghalo::agent
