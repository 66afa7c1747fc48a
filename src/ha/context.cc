#include "ha/context.h"

namespace pghalo::ha {

std::vector<MemberName> Ctx::other_members() const {
  std::vector<MemberName> out;
  if (!has_cluster()) return out;
  for (const auto& [name, member] : cluster().members) {
    if (name != cfg.name) out.push_back(name);
  }
  return out;
}

Decision Ctx::make(Reason reason, std::string detail) const {
  Decision d;
  d.reason = reason;
  d.detail = detail.empty() ? std::string(reason_summary(reason)) : std::move(detail);
  d.memory = mem;
  return d;
}

}  // namespace pghalo::ha
