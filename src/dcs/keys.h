// KeyLayout: where Patroni's cluster keys live in the etcd v3 keyspace (spec 1.1-1.2).
// Base path = "/" + namespace + "/" + scope with runs of '/' collapsed; every key is
// "<base>/<relative>". Not here: value formats (codec.h) or any I/O.
// Immutable after construction; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/ids.h"

namespace pghalo::dcs {

// Relative key names (spec 1.2).
inline constexpr std::string_view kLeaderKey = "leader";
inline constexpr std::string_view kConfigKey = "config";
inline constexpr std::string_view kInitializeKey = "initialize";
inline constexpr std::string_view kHistoryKey = "history";
inline constexpr std::string_view kStatusKey = "status";
inline constexpr std::string_view kLegacyOptimeKey = "optime/leader";
inline constexpr std::string_view kFailoverKey = "failover";
inline constexpr std::string_view kSyncKey = "sync";
inline constexpr std::string_view kFailsafeKey = "failsafe";
inline constexpr std::string_view kMembersDir = "members/";

class KeyLayout {
 public:
  // namespace_ defaults to "/service" in Patroni; scope must not be empty.
  KeyLayout(std::string_view namespace_, std::string_view scope);

  // "/service/batman" (no trailing slash).
  const std::string& base() const { return base_; }
  // "/service/batman/": the prefix every cluster key starts with.
  const std::string& prefix() const { return prefix_; }
  // The range end of a prefix read over prefix().
  std::string prefix_end() const;

  std::string key(std::string_view relative) const { return prefix_ + std::string(relative); }
  std::string member_key(const model::MemberName& name) const;

  // The relative name of a full key, or nullopt when the key is outside this cluster.
  std::optional<std::string> relative(std::string_view full_key) const;

 private:
  std::string base_;
  std::string prefix_;
};

// Collapses runs of '/' and drops a trailing '/': "//a///b/" -> "/a/b".
std::string collapse_slashes(std::string_view path);

// The member name if `relative` is exactly "members/<name>" (one slash); deeper keys are not
// member keys (spec 1.1).
std::optional<model::MemberName> member_name_of(std::string_view relative);

}  // namespace pghalo::dcs
