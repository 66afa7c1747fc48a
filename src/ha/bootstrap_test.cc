#include <gtest/gtest.h>

#include "ha/testing.h"

namespace pghalo::ha {
namespace {
using testing::Row;
using testing::World;

void empty_cluster(World& w) {
  w.cluster().initialize.reset();
  w.data(model::DataDirState::kEmpty);
}

const std::vector<Row> kBootstrap = {
    {"an empty member of a cluster without initialize races to bootstrap",
     [](World& w) { empty_cluster(w); }, Reason::kRacingToBootstrap, {"race_initialize"}},
    {"a member without a bootstrap section does not race",
     [](World& w) { empty_cluster(w); w.cfg.may_bootstrap = false; }, Reason::kWaitingForLeaderToBootstrap, {}},
    {"a nofailover member does not race to bootstrap",
     [](World& w) { empty_cluster(w); w.cfg.tags.nofailover = true; }, Reason::kWaitingForLeaderToBootstrap,
     {}},
    {"an empty member waits while another one bootstraps",
     [](World& w) { empty_cluster(w); w.cluster().initialize = ""; }, Reason::kWaitingForLeaderToBootstrap,
     {}},
    {"the race winner runs initdb",
     [](World& w) { empty_cluster(w); w.obs.won_initialize = true; }, Reason::kBootstrapStarting,
     {"bootstrap"}},
    {"the winner publishes sysid, config and leader once PostgreSQL accepts writes",
     [](World& w) {
       w.cluster().initialize = "";
       w.primary(100).obs.won_initialize = true;
     },
     Reason::kBootstrapFinished, {"set_initialize", "publish_bootstrap_config", "take_leader_after_bootstrap"}},
    {"the winner waits while the new cluster starts",
     [](World& w) {
       w.cluster().initialize = "";
       w.primary(100).not_answering().obs.won_initialize = true;
     },
     Reason::kBootstrapInProgress, {}},
    {"a failed bootstrap gives the initialize key back and stops the agent",
     [](World& w) {
       empty_cluster(w);
       w.obs.won_initialize = true;
       w.finished(JobKind::kBootstrap, false, "initdb: error");
     },
     Reason::kBootstrapFailed, {"delete_initialize", "fatal"}},
    {"an empty member clones from the running leader",
     [](World& w) { w.data(model::DataDirState::kEmpty).leader("node2"); }, Reason::kCloningFromLeader,
     {"clone"}},
    {"an empty member prefers a running clonefrom member",
     [](World& w) {
       w.data(model::DataDirState::kEmpty).leader("node2");
       w.cluster().members[MemberName("node3")].tags.clonefrom = true;
     },
     Reason::kCloningFromMember, {"clone"}},
    {"an empty member waits until the leader runs",
     [](World& w) {
       w.data(model::DataDirState::kEmpty).leader("node2");
       w.cluster().members[MemberName("node2")].state = "starting";
     },
     Reason::kWaitingForLeaderToClone, {}},
    {"a failed clone backs off",
     [](World& w) {
       w.data(model::DataDirState::kEmpty).leader("node2").finished(JobKind::kClone, false, "refused");
     },
     Reason::kCloneBackoff, {}},
    {"during the back-off no clone starts",
     [](World& w) {
       w.data(model::DataDirState::kEmpty).leader("node2");
       w.mem.next_clone_at = testing::kNow + std::chrono::seconds(3);
     },
     Reason::kCloneBackoff, {}},
    {"holding the lock with an empty data directory releases it",
     [](World& w) { w.data(model::DataDirState::kEmpty).leader("node1"); }, Reason::kReleasingLockWithoutData,
     {"release_leader"}},
    {"an invalid data directory waits for the operator",
     [](World& w) { w.data(model::DataDirState::kInvalid).leader("node2"); }, Reason::kDataDirectoryInvalid,
     {}},
    {"paused: an empty member does nothing",
     [](World& w) { w.data(model::DataDirState::kEmpty).leader("node2").paused(); },
     Reason::kUninitializedPaused, {}},
    {"a data directory of another cluster stops the agent",
     [](World& w) {
       w.replica(100);
       w.cluster().initialize = "1111111111111111111";
     },
     Reason::kSystemIdMismatch, {"fatal"}},
    {"a cluster that lost its initialize key gets ours back",
     [](World& w) {
       w.primary(100);
       w.cluster().initialize.reset();
     },
     Reason::kAcquiringLockAsPrimary, {"set_initialize", "acquire_leader"}},
};
PGHALO_DECISION_TABLE(BootstrapTable, kBootstrap);

TEST(BootstrapTest, CloneBackoffGrowsAndIsCapped) {
  World w;
  w.data(model::DataDirState::kEmpty).leader("node2").finished(JobKind::kClone, false, "x");
  w.mem.clone_failures = 10;
  auto d = w.decide();
  EXPECT_EQ(d.memory.clone_failures, 11);
  EXPECT_EQ(*d.wake_in, Duration(std::chrono::seconds(60)));
}

TEST(BootstrapTest, BootstrappingIsNeverFenced) {
  World w;
  w.cluster().initialize = "";
  w.primary(100).obs.won_initialize = true;
  EXPECT_FALSE(w.decide().fence.armed);
}

}  // namespace
}  // namespace pghalo::ha
