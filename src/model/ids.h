// Strong types for the identifiers that are easy to mix up: member names, WAL positions,
// timelines, etcd leases and revisions. Value types; thread-safe as values.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace pghalo::model {

template <typename T, typename Tag>
struct Strong {
  T value{};
  constexpr Strong() = default;
  constexpr explicit Strong(T v) : value(std::move(v)) {}
  auto operator<=>(const Strong&) const = default;
  bool operator==(const Strong&) const = default;
};

struct MemberNameTag {};
struct LsnTag {};
struct TimelineTag {};
struct LeaseTag {};
struct RevisionTag {};

// A member's unique name (`name:` in the YAML); also its application_name and slot source.
using MemberName = Strong<std::string, MemberNameTag>;
// Absolute WAL byte position (Patroni transports LSNs as integers).
using Lsn = Strong<std::uint64_t, LsnTag>;
using TimelineId = Strong<std::int64_t, TimelineTag>;
// etcd lease id; 0 means "no lease".
using LeaseId = Strong<std::int64_t, LeaseTag>;
// etcd revision (mod_revision, create_revision, header revision); 0 means "absent/unknown".
using Revision = Strong<std::int64_t, RevisionTag>;

// Bytes by which `ahead` is past `behind`; 0 when it is not ahead.
inline std::uint64_t lsn_distance(Lsn ahead, Lsn behind) {
  return ahead.value > behind.value ? ahead.value - behind.value : 0;
}

template <typename T, typename Tag>
std::ostream& operator<<(std::ostream& os, const Strong<T, Tag>& s) {
  return os << s.value;
}

}  // namespace pghalo::model

template <typename T, typename Tag>
struct std::hash<pghalo::model::Strong<T, Tag>> {
  std::size_t operator()(const pghalo::model::Strong<T, Tag>& s) const noexcept {
    return std::hash<T>{}(s.value);
  }
};
