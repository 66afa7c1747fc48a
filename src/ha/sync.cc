// Synchronous replication on the leader (spec 2.14). The invariant that makes a synchronous
// failover lose nothing: a member is listed in `/sync` only after PostgreSQL has it in
// synchronous_standby_names and reports it `sync`; it leaves `/sync` before it leaves
// synchronous_standby_names. Only `/sync`'s members may then win a leader race
// (leader_race.cc), so whoever takes over has every acknowledged commit.
//
// One step per cycle, in this order: shrink `/sync` to the members still wanted; set
// synchronous_standby_names to the wanted members; publish in `/sync` those PostgreSQL confirms.
#include <algorithm>

#include "ha/context.h"
#include "ha/decide.h"

namespace pghalo::ha {
namespace {

constexpr Duration kConfirmSoon = std::chrono::seconds(1);

struct Candidate {
  MemberName name;
  bool sync = false;       // pg_stat_replication.sync_state is sync (or quorum)
  bool nofailover = false;
  std::uint64_t flush = 0;
};

// Streaming standbys that are running members without nosync, best first (spec 2.14 step 1).
std::vector<Candidate> candidates(const Ctx& ctx) {
  std::vector<Candidate> out;
  for (const auto& row : ctx.obs.pg.replication) {
    if (row.state != "streaming") continue;
    MemberName name(row.application_name);
    const model::Member* m = ctx.member(name);
    if (!m || name == ctx.cfg.name || m->tags.nosync || !m->is_running()) continue;
    out.push_back({name, row.sync_state == "sync" || row.sync_state == "quorum",
                   !m->tags.can_failover(), row.flush_lsn.value});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.sync != b.sync) return a.sync;
    if (a.nofailover != b.nofailover) return !a.nofailover;
    if (a.flush != b.flush) return a.flush > b.flush;
    return a.name < b.name;
  });
  if (ctx.cfg.maximum_lag_on_syncnode > 0 && !out.empty()) {
    std::uint64_t best = 0;
    for (const auto& c : out) best = std::max(best, c.flush);
    std::erase_if(out, [&](const Candidate& c) {
      return best - c.flush > static_cast<std::uint64_t>(ctx.cfg.maximum_lag_on_syncnode);
    });
  }
  return out;
}

void wake_soon(Decision& d) {
  if (!d.wake_in || *d.wake_in > kConfirmSoon) d.wake_in = kConfirmSoon;
}

std::vector<MemberName> sorted(std::vector<MemberName> names) {
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<MemberName> published(const Ctx& ctx) {
  const auto& sync = ctx.cluster().sync;
  if (!sync || !sync->leader || *sync->leader != ctx.cfg.name) return {};
  return sync->sync_standby;
}

}  // namespace

void manage_sync(const Ctx& ctx, Decision& d) {
  const auto& sync = ctx.cluster().sync;
  if (!ctx.cfg.synchronous_mode) {
    // Whoever's it is: a /sync a former leader left outlives its term, and once synchronous mode
    // is on again with nobody leading, it lets only that leader's standbys race, while the
    // former leader may be on an older timeline and refuse (simulator seed 2889: it stayed
    // without a primary). With the mode off the lock holder alone owns the cluster, so nothing
    // /sync promised is owed any more.
    if (sync && sync->leader) d.actions.push_back(DeleteSync{sync->mod_revision});
    if (ctx.mem.sync_standby_names) {
      d.actions.push_back(SetSynchronousStandbyNames{});
      d.memory.sync_standby_names.reset();
    }
    return;
  }
  auto ranked = candidates(ctx);
  int wanted_count = std::max(1, ctx.cfg.synchronous_node_count);
  std::vector<MemberName> wanted;
  for (const auto& c : ranked) {
    if (static_cast<int>(wanted.size()) < wanted_count) wanted.push_back(c.name);
  }
  wanted = sorted(wanted);
  std::vector<MemberName> listed = published(ctx);
  model::Revision revision = sync ? sync->mod_revision : model::Revision(0);

  // 1. Members that must go leave /sync first.
  std::vector<MemberName> keep;
  for (const auto& n : listed) {
    if (std::find(wanted.begin(), wanted.end(), n) != wanted.end()) keep.push_back(n);
  }
  if (keep != listed || !sync || !sync->leader || *sync->leader != ctx.cfg.name) {
    d.actions.push_back(WriteSync{keep, revision});
    wake_soon(d);
    return;
  }
  // 2. PostgreSQL waits for the wanted members (any standby in strict mode with none).
  SetSynchronousStandbyNames names{wanted, ctx.cfg.synchronous_mode_strict && wanted.empty(), wanted_count};
  if (ctx.mem.sync_standby_names != names) {
    d.actions.push_back(names);
    d.memory.sync_standby_names = names;
    wake_soon(d);
    return;
  }
  // 3. Publish the members PostgreSQL confirms synchronous.
  std::vector<MemberName> confirmed;
  for (const auto& c : ranked) {
    if (c.sync && std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) confirmed.push_back(c.name);
  }
  confirmed = sorted(confirmed);
  if (confirmed != listed) {
    d.actions.push_back(WriteSync{confirmed, revision});
  } else if (confirmed != wanted) {
    wake_soon(d);  // a wanted member is not sync yet: look again soon
  }
}

// Before promoting in synchronous mode: own `/sync` with nobody listed, and make PostgreSQL
// wait for no one (strict: for anyone), so no standby of the old primary is taken for ours.
void prepare_sync_for_promotion(const Ctx& ctx, Decision& d) {
  if (!ctx.cfg.synchronous_mode) return;
  const auto& sync = ctx.cluster().sync;
  model::Revision revision = sync ? sync->mod_revision : model::Revision(0);
  if (!sync || !sync->leader || *sync->leader != ctx.cfg.name || !sync->sync_standby.empty()) {
    d.actions.insert(d.actions.begin(), WriteSync{{}, revision});
  }
  SetSynchronousStandbyNames names{{}, ctx.cfg.synchronous_mode_strict, std::max(1, ctx.cfg.synchronous_node_count)};
  d.memory.sync_standby_names = names;
}

std::optional<SetSynchronousStandbyNames> assumed_sync_standby_names(const Observation& obs,
                                                                      const Memory& memory,
                                                                      const HaConfig& cfg) {
  if (memory.sync_standby_names || !cfg.synchronous_mode || !obs.cluster || !obs.pg.is_primary()) {
    return memory.sync_standby_names;
  }
  std::vector<MemberName> listed;
  const auto& sync = obs.cluster->sync;
  if (sync && sync->leader && *sync->leader == cfg.name) listed = sync->sync_standby;
  return SetSynchronousStandbyNames{listed, cfg.synchronous_mode_strict && listed.empty(),
                                    std::max(1, cfg.synchronous_node_count)};
}

// Before starting PostgreSQL as the primary in synchronous mode: a fresh agent process has no
// memory of synchronous_standby_names, and PostgreSQL would come up acknowledging commits that
// the standbys /sync lists never received (simulator seed 122: the host crashed, the agent came
// back and started the primary with no synchronous_standby_names in strict mode). Start it
// waiting for whom /sync lists for us ('*' in strict mode when nobody is).
void prepare_sync_for_start(const Ctx& ctx, Decision& d) {
  if (!ctx.cfg.synchronous_mode) return;
  const auto* start = d.find<StartPostgres>();
  if (!start || !start->as_primary) return;
  std::vector<MemberName> listed = published(ctx);
  bool strict = ctx.cfg.synchronous_mode_strict && listed.empty();
  d.memory.sync_standby_names =
      SetSynchronousStandbyNames{listed, strict, std::max(1, ctx.cfg.synchronous_node_count)};
}

}  // namespace pghalo::ha
