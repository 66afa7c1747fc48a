#include "sim_etcd.h"

namespace pghalo::sim {
namespace etcd = dcs::etcd;
namespace {

Error timed_out(std::string_view why) {
  return make_error(ErrorCode::kTimeout, "sim etcd: " + std::string(why));
}

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Which lock operation a txn is, for the probes of lost replies.
std::string_view txn_kind(const etcd::TxnRequest& r) {
  if (r.compare.empty()) return "txn";
  const auto& c = r.compare.front();
  if (ends_with(c.key, "/leader")) {
    if (c.target == etcd::CompareTarget::kCreate) return "acquire";
    if (!r.success.empty() && std::holds_alternative<etcd::DeleteOp>(r.success.front())) {
      return "release";
    }
    return "refresh";
  }
  if (ends_with(c.key, "/initialize")) return "initialize_race";
  return "conditional_write";
}

}  // namespace

std::string_view mode_name(EtcdLink::Mode mode) {
  switch (mode) {
    case EtcdLink::Mode::kUp: return "up";
    case EtcdLink::Mode::kDown: return "cut both ways";
    case EtcdLink::Mode::kRequestsLost: return "requests lost";
    case EtcdLink::Mode::kRepliesLost: return "replies lost";
  }
  return "?";
}

EtcdCluster::EtcdCluster(SimEnv& env, const VirtualTime& time)
    : env_(env), clock_(time), kv_(clock_) {}

bool EtcdCluster::has_quorum() const {
  int alive = 0;
  for (bool u : up_) alive += u ? 1 : 0;
  return alive * 2 > kEtcdMembers;
}

bool EtcdCluster::in_keepalive_grace(int member) const {
  return !has_quorum() && member == last_leader_ && up_[static_cast<std::size_t>(member)] &&
         env_.now() < quorum_lost_at_ + kElectionTimeout;
}

void EtcdCluster::elect() {
  for (int m = 0; m < kEtcdMembers; ++m) {
    if (up_[static_cast<std::size_t>(m)]) {
      leader_ = m;
      last_leader_ = m;
      break;
    }
  }
  // etcd's lessor on a new leader: every lease gets a full ttl from now.
  kv_.refresh_all_leases();
  env_.probe("etcd_leader_elected_leases_refreshed");
}

void EtcdCluster::set_member_up(int m, bool up) {
  bool had_quorum = has_quorum();
  up_[static_cast<std::size_t>(m)] = up;
  bool quorum = has_quorum();
  if (had_quorum && !quorum) {
    quorum_lost_at_ = env_.now();
    leader_ = -1;
    clock_.stop();
    env_.probe("etcd_quorum_lost");
  } else if (!had_quorum && quorum) {
    clock_.resume();
    elect();
    env_.probe("etcd_quorum_restored");
  } else if (quorum && !up && m == leader_) {
    elect();
    env_.probe("etcd_leader_lost");
  }
}

Ms NodeKv::delay() {
  if (link_.delay_max <= 0) return 0;
  return static_cast<Ms>(env_.random().uniform(0, static_cast<std::uint64_t>(link_.delay_max)));
}

NodeKv::Passage NodeKv::send(Duration timeout, bool keepalive) {
  Passage p;
  p.timeout = timeout.count();
  if (p.timeout <= 0) {
    p.refused = timed_out("no time left for the request");
    return p;
  }
  auto give_up = [&](std::string_view why) {
    if (!timeless_) env_.advance(p.timeout);
    p.refused = timed_out(why);
  };
  if (timeless_ && (link_.mode != EtcdLink::Mode::kUp || link_.delay_max > 0)) {
    p.refused = make_error(ErrorCode::kUnavailable, "sim etcd: watch link down");
    return p;
  }
  if (link_.mode == EtcdLink::Mode::kDown || link_.mode == EtcdLink::Mode::kRequestsLost) {
    give_up("request timed out (network partition)");
    return p;
  }
  int reachable = -1;
  bool any_live_cut = false;
  for (int m = 0; m < kEtcdMembers; ++m) {
    bool cut = link_.member_cut[static_cast<std::size_t>(m)];
    if (!etcd_.member_up(m)) continue;
    if (cut) {
      any_live_cut = true;
      continue;
    }
    if (reachable < 0 || m == etcd_.leader()) reachable = m;
  }
  if (reachable < 0) {
    if (any_live_cut) {
      give_up("request timed out (every live member is cut off)");
    } else {
      p.refused = make_error(ErrorCode::kUnavailable, "sim etcd: connection refused by every member");
    }
    return p;
  }
  if (!etcd_.has_quorum()) {
    if (keepalive && etcd_.in_keepalive_grace(reachable)) {
      env_.probe("keepalive_renewed_without_quorum");
    } else {
      give_up("etcdserver: request timed out (no quorum)");
      return p;
    }
  }
  if (timeless_) return p;
  Ms request_delay = delay();
  if (request_delay >= p.timeout) {
    give_up("request timed out (delayed message)");
    return p;
  }
  env_.advance(request_delay);
  p.spent = request_delay;
  p.reply_delay = delay();
  p.reply_lost = link_.mode == EtcdLink::Mode::kRepliesLost ||
                 (link_.lost_reply_percent > 0 &&
                  env_.random().uniform(1, 100) <= static_cast<std::uint64_t>(link_.lost_reply_percent));
  return p;
}

std::optional<Error> NodeKv::receive(const Passage& p, std::string_view what) {
  if (timeless_) return std::nullopt;
  if (p.reply_lost || p.spent + p.reply_delay >= p.timeout) {
    env_.advance(p.timeout - p.spent);
    env_.probe("lost_reply_" + std::string(what));
    return timed_out("reply lost");
  }
  env_.advance(p.reply_delay);
  return std::nullopt;
}

Result<etcd::RangeResponse> NodeKv::range(const std::string& key, const std::string& range_end,
                                          bool serializable, Duration timeout) {
  return call(timeout, false, "range", [&] { return etcd_.kv().range(key, range_end, serializable, timeout); });
}

Result<model::Revision> NodeKv::put(const etcd::PutOp& op, Duration timeout) {
  return call(timeout, false, "put", [&] { return etcd_.kv().put(op, timeout); });
}

Result<etcd::TxnResponse> NodeKv::txn(const etcd::TxnRequest& request, Duration timeout) {
  std::string what(txn_kind(request));
  return call(timeout, false, what, [&] {
    auto r = etcd_.kv().txn(request, timeout);
    // A lost reply of a lock txn that committed: the store must resolve it by reading back.
    if (r.ok() && r->succeeded) what += "_after_it_committed";
    return r;
  });
}

Result<std::int64_t> NodeKv::delete_range(const etcd::DeleteOp& op, Duration timeout) {
  return call(timeout, false, "delete", [&] { return etcd_.kv().delete_range(op, timeout); });
}

Result<etcd::LeaseGrant> NodeKv::lease_grant(std::int64_t ttl_seconds, Duration timeout) {
  return call(timeout, false, "lease_grant", [&] { return etcd_.kv().lease_grant(ttl_seconds, timeout); });
}

Result<std::optional<std::int64_t>> NodeKv::lease_keepalive(model::LeaseId id, Duration timeout) {
  return call(timeout, true, "keepalive", [&] { return etcd_.kv().lease_keepalive(id, timeout); });
}

Status NodeKv::lease_revoke(model::LeaseId id, Duration timeout) {
  return call(timeout, false, "revoke", [&] { return etcd_.kv().lease_revoke(id, timeout); });
}

Status NodeKv::watch(const std::string& key, const std::string& range_end,
                     model::Revision start_revision,
                     const std::function<bool(const etcd::WatchBatch&)>& on_batch,
                     const std::atomic<bool>& stop) {
  // The watch stream takes no virtual time; it only needs a path to a live member with quorum.
  bool reachable = false;
  for (int m = 0; m < kEtcdMembers; ++m) {
    reachable |= etcd_.member_up(m) && !link_.member_cut[static_cast<std::size_t>(m)];
  }
  if (link_.mode != EtcdLink::Mode::kUp || !reachable || !etcd_.has_quorum()) {
    return make_error(ErrorCode::kUnavailable, "sim etcd: watch stream broken");
  }
  return etcd_.kv().watch(key, range_end, start_revision, on_batch, stop);
}

}  // namespace pghalo::sim
