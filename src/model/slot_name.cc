#include "model/slot_name.h"

#include <cstdio>

namespace pghalo::model {
namespace {

// Decodes the UTF-8 sequence at s[i] and advances i past it. A malformed sequence yields its
// first byte as the code point (names are expected to be valid UTF-8; this only avoids UB).
unsigned next_code_point(std::string_view s, std::size_t& i) {
  unsigned char lead = static_cast<unsigned char>(s[i]);
  std::size_t extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + extra > s.size() - 1) {
    ++i;
    return lead;
  }
  unsigned cp = lead & (0x3Fu >> extra);
  for (std::size_t k = 1; k <= extra; ++k) {
    unsigned char cont = static_cast<unsigned char>(s[i + k]);
    if ((cont & 0xC0) != 0x80) {
      ++i;
      return lead;
    }
    cp = (cp << 6) | (cont & 0x3Fu);
  }
  i += extra + 1;
  return cp;
}

}  // namespace

std::string slot_name_for_member(std::string_view member_name) {
  std::string out;
  std::size_t i = 0;
  while (i < member_name.size()) {
    unsigned cp = next_code_point(member_name, i);
    if (cp >= 'A' && cp <= 'Z') cp = cp - 'A' + 'a';  // ASCII only: non-ASCII is encoded anyway
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '_') {
      out.push_back(static_cast<char>(cp));
    } else if (cp == '-' || cp == '.') {
      out.push_back('_');
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "u%04u", cp);
      out += buf;
    }
  }
  if (out.size() > 63) out.resize(63);
  return out;
}

}  // namespace pghalo::model
