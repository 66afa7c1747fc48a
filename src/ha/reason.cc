#include "ha/reason.h"

#include <string>

namespace pghalo::ha {
namespace {

// kLeaderHealthy -> leader_healthy
std::string snake_case(std::string_view enumerator) {
  std::string out;
  for (std::size_t i = 1; i < enumerator.size(); ++i) {  // skip the leading 'k'
    char c = enumerator[i];
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out.push_back('_');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct Entry {
  std::string name;
  std::string_view summary;
};

const std::array<Entry, kReasonCount>& table() {
  static const std::array<Entry, kReasonCount> entries = {{
#define PGHALO_HA_REASON_ENTRY(name, text) {snake_case(#name), text},
      PGHALO_HA_REASONS(PGHALO_HA_REASON_ENTRY)
#undef PGHALO_HA_REASON_ENTRY
  }};
  return entries;
}

}  // namespace

std::string_view reason_name(Reason reason) { return table()[static_cast<std::size_t>(reason)].name; }

std::string_view reason_summary(Reason reason) {
  return table()[static_cast<std::size_t>(reason)].summary;
}

std::array<Reason, kReasonCount> all_reasons() {
  std::array<Reason, kReasonCount> out{};
  for (std::size_t i = 0; i < kReasonCount; ++i) out[i] = static_cast<Reason>(i);
  return out;
}

}  // namespace pghalo::ha
