// Executing a decision: etcd actions inline, in order, stopping at the first failure (a later
// action may depend on an earlier one: set initialize before taking the leader key); PostgreSQL
// jobs on the job runner; peer queries inline (bounded to 2 s).
#include <type_traits>

#include "agent/agent.h"
#include "agent/jobs.h"
#include "agent/postgres_plan.h"
#include "common/log.h"
#include "common/strings.h"
#include "dcs/codec.h"
#include "model/slot_name.h"

namespace pghalo::agent {
namespace {

constexpr Duration kPeerTimeout = std::chrono::seconds(2);

// One line of <timeline>.history: "<parent tli>\t<switch lsn>\t<reason>".
std::vector<model::HistoryEntry> parse_timeline_history(const std::string& text) {
  std::vector<model::HistoryEntry> out;
  for (const auto& line : split(text, '\n')) {
    auto fields = split(line, '\t', false);
    if (fields.size() < 2) continue;
    auto tli = parse_int64(trim(fields[0]));
    auto lsn = parse_lsn(trim(fields[1]));
    if (!tli || !lsn) continue;
    model::HistoryEntry e;
    e.timeline = model::TimelineId(*tli);
    e.switch_lsn = model::Lsn(*lsn);
    e.reason = fields.size() > 2 ? std::string(trim(fields[2])) : "";
    out.push_back(e);
  }
  return out;
}

}  // namespace

void Agent::execute(const ha::Decision& decision, const Observed& observed) {
  for (const auto& action : decision.actions) {
    if (auto kind = ha::job_of(action)) {
      execute_job(action, observed);
      continue;
    }
    if (!execute_dcs_action(action, observed)) break;
  }
}

// Returns false when the action failed and the rest of the decision must not run.
bool Agent::execute_dcs_action(const ha::Action& action, const Observed& observed) {
  dcs::ClusterStore& store = *deps_.store;
  const model::MemberName& me = ha_config_.name;
  auto failed = [&](const Error& e) {
    log::error("action_failed", ha::action_name(action) + ": " + e.message);
    return false;
  };
  auto done = [&](const Status& s) { return s.ok() ? true : failed(s.error()); };

  return std::visit(
      [&](const auto& a) -> bool {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, ha::AcquireLeader>) {
          auto r = store.acquire_leader(me);
          if (!r.ok()) return failed(r.error());
          log::info(*r ? "leader_acquired" : "leader_race_lost",
                    *r ? "acquired the leader lock" : "another member took the leader lock first");
          return *r;
        } else if constexpr (std::is_same_v<T, ha::RefreshLeader>) {
          auto r = store.refresh_leader(me);
          if (!r.ok()) return failed(r.error());
          if (!*r) log::warn("leader_lost", "the leader key belongs to another member now");
          return *r;
        } else if constexpr (std::is_same_v<T, ha::ReleaseLeader>) {
          auto r = store.release_leader(me);
          if (!r.ok()) return failed(r.error());
          log::info("leader_released", "released the leader lock");
          return true;
        } else if constexpr (std::is_same_v<T, ha::TakeLeaderAfterBootstrap>) {
          return done(store.take_leader_after_bootstrap(me));
        } else if constexpr (std::is_same_v<T, ha::RaceInitialize>) {
          auto r = store.race_initialize();
          if (!r.ok()) return failed(r.error());
          won_initialize_ = *r;
          log::info("initialize_race", *r ? "won the initialize race: this member bootstraps"
                                          : "another member bootstraps the cluster");
          return true;
        } else if constexpr (std::is_same_v<T, ha::SetInitialize>) {
          if (a.system_identifier.empty()) return failed(make_error(ErrorCode::kInternal, "no system identifier"));
          Status s = store.set_initialize(a.system_identifier);
          if (s.ok()) won_initialize_ = false;
          return done(s);
        } else if constexpr (std::is_same_v<T, ha::DeleteInitialize>) {
          won_initialize_ = false;
          return done(store.delete_initialize());
        } else if constexpr (std::is_same_v<T, ha::PublishBootstrapConfig>) {
          auto r = store.write_config(local_.bootstrap.dcs, std::nullopt);
          return r.ok() ? true : failed(r.error());
        } else if constexpr (std::is_same_v<T, ha::ClearFailoverRequest>) {
          auto r = store.write_failover(nlohmann::json::object(), a.expected);
          return r.ok() ? true : failed(r.error());
        } else if constexpr (std::is_same_v<T, ha::PublishLeaderStatus>) {
          return done(store.write_status({{"optime", a.optime.value}}));
        } else if constexpr (std::is_same_v<T, ha::UpdateHistory>) {
          return done(update_history(observed));
        } else if constexpr (std::is_same_v<T, ha::FetchPeerStatus>) {
          fetch_peers(a.members, observed);
          return true;
        } else if constexpr (std::is_same_v<T, ha::PostFailsafe>) {
          post_failsafe(a.members, observed);
          return true;
        } else if constexpr (std::is_same_v<T, ha::PublishFailsafe>) {
          nlohmann::json value = nlohmann::json::object();
          for (const auto& [name, url] : a.members) value[name.value] = url;
          return done(store.write_failsafe(value));
        } else if constexpr (std::is_same_v<T, ha::WriteSync>) {
          // expected 0 compares as "absent": etcd reports mod_revision 0 for a missing key.
          auto r = store.write_sync(nlohmann::json::parse(dcs::encode_sync(me, a.standbys)),
                                    std::optional(a.expected));
          if (!r.ok()) return failed(r.error());
          if (!*r) log::warn("sync_conflict", "/sync changed meanwhile; will retry");
          return *r;
        } else if constexpr (std::is_same_v<T, ha::DeleteSync>) {
          auto r = store.delete_sync(a.expected);
          return r.ok() ? true : failed(r.error());
        } else if constexpr (std::is_same_v<T, ha::SetSynchronousStandbyNames>) {
          Status s = rewrite_config_files(job_context(observed.obs.pg), /*as_primary=*/true, std::nullopt);
          sync_names_applied_ = s.ok();
          if (s.ok()) {
            log::info("synchronous_standby_names", "synchronous_standby_names = '" +
                                                       synchronous_standby_names_.value_or("") + "'");
          }
          return done(s);
        } else if constexpr (std::is_same_v<T, ha::SyncReplicationSlots>) {
          std::vector<std::string> slots;
          for (const auto& m : a.members) slots.push_back(model::slot_name_for_member(m.value));
          Status s = deps_.postgres->sync_physical_slots(slots, std::chrono::seconds(5));
          if (!s.ok()) log::warn("slots_sync_failed", s.error().message);
          return true;  // slots are best effort: never block the rest of the decision
        } else if constexpr (std::is_same_v<T, ha::Fatal>) {
          fatal_ = a.message;
          log::error("fatal", a.message);
          return false;
        } else {
          return true;  // jobs are handled by execute_job
        }
      },
      action);
}

std::vector<peer::PeerTarget> Agent::peer_targets(const std::vector<model::MemberName>& members,
                                                  const Observed& observed,
                                                  std::vector<model::MemberName>* unknown) const {
  std::vector<peer::PeerTarget> targets;
  for (const auto& name : members) {
    const model::Member* m = observed.obs.cluster ? observed.obs.cluster->member(name) : nullptr;
    if (m && !m->api_url.empty()) {
      targets.push_back({name, m->api_url});
    } else if (auto it = memory_.failsafe_members.find(name); it != memory_.failsafe_members.end()) {
      targets.push_back({name, it->second});  // known from /failsafe (its member key expired)
    } else if (unknown) {
      unknown->push_back(name);
    }
  }
  return targets;
}

void Agent::fetch_peers(const std::vector<model::MemberName>& members, const Observed& observed) {
  std::vector<model::MemberName> unknown;
  auto statuses = deps_.peers->fetch_status(peer_targets(members, observed, &unknown), kPeerTimeout);
  for (const auto& name : unknown) {
    model::PeerStatus p;
    p.name = name;
    p.error = "no member key";
    statuses.push_back(p);
  }
  peers_for_next_cycle_ = std::move(statuses);
}

void Agent::post_failsafe(const std::vector<model::MemberName>& members, const Observed& observed) {
  std::vector<model::MemberName> unknown;
  auto targets = peer_targets(members, observed, &unknown);
  nlohmann::json body = {{"name", local_.name},
                         {"conn_url", member_conn_url(local_)},
                         {"api_url", member_api_url(local_)},
                         {"slots", nlohmann::json::object()}};
  ha::Observation::FailsafeRound round;
  round.sent_at = deps_.clock->now();
  round.all_accepted = unknown.empty();
  for (const auto& reply : deps_.peers->post_failsafe(targets, body, kPeerTimeout)) {
    if (!reply.accepted) {
      round.all_accepted = false;
      log::warn("failsafe_refused", reply.name.value + " did not accept us as the leader: " + reply.error);
    }
  }
  failsafe_round_ = round;
}

Status Agent::update_history(const Observed& observed) {
  std::int64_t tl = observed.obs.pg.timeline.value;
  if (!deps_.read_timeline_history || tl <= 1) return ok_status();
  auto entries = model::with_skipped_timelines(parse_timeline_history(deps_.read_timeline_history(tl)), tl);
  if (entries.empty()) {
    return make_error(ErrorCode::kNotFound, "no timeline history for timeline " + std::to_string(tl));
  }
  // Keep the timestamps and leaders already published for older switches.
  const auto* cluster = observed.obs.cluster ? &*observed.obs.cluster : nullptr;
  for (auto& e : entries) {
    if (!cluster || !cluster->history) break;
    for (const auto& old : *cluster->history) {
      if (old.timeline == e.timeline) {
        e.timestamp = old.timestamp;
        e.new_leader = old.new_leader;
      }
    }
  }
  auto& newest = entries.back();
  if (!newest.timestamp) newest.timestamp = format_iso8601(observed.obs.wall_now);
  if (!newest.new_leader) newest.new_leader = ha_config_.name.value;
  return deps_.store->write_history(nlohmann::json::parse(dcs::encode_history(entries)));
}

}  // namespace pghalo::agent
