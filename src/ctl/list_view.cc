#include "ctl/list_view.h"

#include <cfenv>
#include <cmath>
#include <set>

#include "ctl/context.h"

namespace pghalo::ctl {
namespace {

struct Entry {
  const MemberView* member;
  int level;
};

void add_subtree(std::vector<Entry>& out, const std::map<std::string, std::vector<const MemberView*>>& children,
                 const std::string& parent, int level, std::set<std::string>& seen) {
  auto it = children.find(parent);
  if (it == children.end()) return;
  for (const MemberView* m : it->second) {
    if (!seen.insert(m->name).second) continue;  // a replicatefrom loop: show each member once
    out.push_back({m, level});
    add_subtree(out, children, m->name, level + 1, seen);
  }
}

// Leader first, then each replica below the member named in its replicatefrom tag (when that
// is another replica of this cluster), else below the leader.
std::vector<Entry> order(const ClusterView& view, bool topology) {
  std::vector<Entry> out;
  if (!topology) {
    for (const auto& m : view.members) out.push_back({&m, 0});
    return out;
  }
  const MemberView* leader = nullptr;
  std::set<std::string> replicas;
  for (const auto& m : view.members) {
    if (m.role.ends_with("leader")) {
      if (leader == nullptr) leader = &m;
    } else {
      replicas.insert(m.name);
    }
  }
  std::string root = leader != nullptr ? leader->name : std::string();
  std::map<std::string, std::vector<const MemberView*>> children;
  for (const auto& m : view.members) {
    if (m.role.ends_with("leader")) continue;
    std::string parent;
    if (m.tags.is_object() && m.tags.contains("replicatefrom") && m.tags["replicatefrom"].is_string()) {
      parent = m.tags["replicatefrom"].get<std::string>();
    }
    if (parent.empty() || parent == m.name || !replicas.count(parent)) parent = root;
    children[parent].push_back(&m);
  }
  std::set<std::string> seen;
  if (leader != nullptr) {
    out.push_back({leader, 0});
    seen.insert(leader->name);
  }
  add_subtree(out, children, root, 1, seen);
  for (const auto& m : view.members) {  // members only reachable through a loop
    if (!seen.count(m.name) && !m.role.ends_with("leader")) out.push_back({&m, 1});
  }
  return out;
}

std::string title_case_role(const std::string& role) {
  std::string out;
  bool start = true;
  for (char c : role) {
    char ch = c == '_' ? ' ' : c;
    out += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    start = ch == ' ';
  }
  return out;
}

bool show_port(const ClusterView& view) {
  std::set<std::string> hosts;
  std::size_t with_host = 0;
  for (const auto& m : view.members) {
    if (!m.host) continue;
    ++with_host;
    hosts.insert(*m.host);
    if (m.port && *m.port != 5432) return true;
  }
  return hosts.size() < with_host;
}

nlohmann::json lag_cell(const MemberView& m, const std::optional<std::uint64_t>& lag, bool pretty) {
  if (m.is_leader) return "";
  if (!lag) return "unknown";
  if (pretty) return human_bytes(*lag);
  return *lag;
}

std::string scheduled_restart_text(const nlohmann::json& scheduled) {
  if (!scheduled.is_object()) return "";
  std::string text = scheduled.value("schedule", "");
  if (scheduled.contains("postgres_version")) {
    text += " if version < " + cell_text(scheduled["postgres_version"], false);
  }
  return text;
}

std::string role_color(const MemberView& m) {
  if (m.is_leader) return "1;32";
  if (m.role == "sync_standby") return "36";
  return "";
}

std::string state_color(const std::string& state) {
  if (state == "running" || state == "streaming") return "";
  if (state.find("fail") != std::string::npos || state == "crashed" || state == "stopped") {
    return "1;31";
  }
  return "33";
}

std::string footer(const ClusterView& view) {
  std::vector<std::string> lines;
  if (view.paused) lines.push_back("Maintenance mode: on");
  if (view.scheduled_switchover) {
    std::string info = "Switchover scheduled at: " + view.scheduled_switchover->at;
    auto add = [&](const char* name, const std::optional<std::string>& value) {
      if (!value) return;
      std::string label(name);
      info += "\n" + std::string(24 - label.size(), ' ') + label + ": " + *value;
    };
    add("from", view.scheduled_switchover->from);
    add("to", view.scheduled_switchover->to);
    lines.push_back(info);
  }
  std::string out;
  for (const auto& line : lines) out += " " + line + "\n";
  return out;
}

}  // namespace

long long python_round(double value) {
  int previous = std::fegetround();
  std::fesetround(FE_TONEAREST);
  double rounded = std::nearbyint(value);
  std::fesetround(previous);
  return static_cast<long long>(rounded);
}

std::map<std::string, MemberLag> member_lags(const ClusterView& view,
                                             const std::map<std::string, MemberStatus>& statuses,
                                             std::uint64_t cluster_optime) {
  std::uint64_t reference = cluster_optime;
  for (const auto& m : view.members) {
    auto it = statuses.find(m.name);
    if (m.is_leader && it != statuses.end() && it->second.location) {
      reference = *it->second.location;
    }
  }
  std::map<std::string, MemberLag> out;
  for (const auto& m : view.members) {
    if (m.is_leader) continue;
    MemberLag lag;
    auto it = statuses.find(m.name);
    if (it != statuses.end() && it->second.reachable &&
        (it->second.received || it->second.replayed)) {
      auto behind = [&](std::optional<std::uint64_t> at) -> std::optional<std::uint64_t> {
        if (!at) return std::nullopt;
        return reference > *at ? reference - *at : 0;
      };
      // Right after a restart the receive position restarts at a segment boundary, behind
      // replay; like Patroni's xlog_location, take whichever is further.
      auto received = it->second.received;
      if (!received || (it->second.replayed && *it->second.replayed > *received)) {
        received = it->second.replayed;
      }
      lag.receive = behind(received);
      lag.replay = behind(it->second.replayed);
    } else {
      lag.receive = m.lag;
    }
    out[m.name] = lag;
  }
  return out;
}

std::string render_members(const ClusterView& view, const std::string& cluster,
                           const std::map<std::string, MemberLag>& lags,
                           const ListOptions& options) {
  bool pretty = options.format == Format::kPretty;
  Rows rows;
  rows.cluster_listing = true;
  rows.columns = {"Cluster", "Member", "Host", "Role", "State", "TL"};
  if (!pretty) rows.columns.push_back("Lag in MB");
  rows.columns.insert(rows.columns.end(), {"Receive Lag", "Replay Lag"});
  rows.right_aligned = {"TL", "Lag in MB", "Receive Lag", "Replay Lag"};
  bool any_pending = false, any_scheduled = false, any_tags = false;
  for (const auto& m : view.members) {
    any_pending = any_pending || m.pending_restart;
    any_scheduled = any_scheduled || m.scheduled_restart.is_object();
    any_tags = any_tags || (m.tags.is_object() && !m.tags.empty());
  }
  bool pending_col = options.extended || any_pending;
  bool scheduled_col = options.extended || any_scheduled;
  bool tags_col = options.extended || any_tags;
  if (pending_col) rows.columns.emplace_back("Pending restart");
  if (scheduled_col) rows.columns.emplace_back("Scheduled restart");
  if (tags_col) rows.columns.emplace_back("Tags");
  bool port = show_port(view);
  for (const auto& [m, level] : order(view, options.topology)) {
    std::string name = level > 0 ? std::string(static_cast<std::size_t>(level - 1) * 2, ' ') + "+ " + m->name
                                 : m->name;
    std::string host = m->host.value_or("");
    if (port && m->host && m->port) host += ":" + std::to_string(*m->port);
    std::vector<nlohmann::json> row = {cluster, name, host, title_case_role(m->role), m->state,
                                       m->timeline ? nlohmann::json(*m->timeline) : nlohmann::json("")};
    if (!pretty) {
      row.push_back(m->is_leader ? nlohmann::json("")
                    : m->lag     ? nlohmann::json(python_round(static_cast<double>(*m->lag) / 1048576.0))
                                 : nlohmann::json("unknown"));
    }
    auto lag = lags.find(m->name);
    MemberLag known = lag == lags.end() ? MemberLag{m->lag, std::nullopt} : lag->second;
    row.push_back(lag_cell(*m, known.receive, pretty));
    row.push_back(lag_cell(*m, known.replay, pretty));
    if (pending_col) row.emplace_back(m->pending_restart ? "*" : "");
    if (scheduled_col) row.emplace_back(scheduled_restart_text(m->scheduled_restart));
    if (tags_col) row.push_back(m->tags.is_object() && !m->tags.empty() ? m->tags : nlohmann::json(""));
    if (options.color) {
      std::vector<std::string> colors(row.size());
      colors[3] = role_color(*m);
      colors[4] = state_color(m->state);
      rows.colors.push_back(std::move(colors));
    }
    rows.rows.push_back(std::move(row));
  }
  std::string details = view.initialize + (view.paused ? ", paused" : "");
  rows.title = " Cluster: " + cluster + " (" + details + ") ";
  std::string out = render_rows(rows, options.format);
  if (pretty) out += footer(view);
  return out;
}

}  // namespace pghalo::ctl
