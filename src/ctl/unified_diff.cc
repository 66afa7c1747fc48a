#include "ctl/unified_diff.h"

#include <algorithm>

#include "ctl/table.h"

namespace pghalo::ctl {
namespace {

struct Opcode {
  char tag;  // 'e'qual, 'r'eplace, 'd'elete, 'i'nsert
  std::size_t i1, i2, j1, j2;
};

constexpr std::size_t kContext = 3;
constexpr std::size_t kMaxLines = 4000;

// difflib's listify(): the text without its trailing newlines, split into lines.
std::vector<std::string> lines_of(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return split_lines(trimmed);
}

// Matching line pairs of a longest common subsequence, in order.
std::vector<std::pair<std::size_t, std::size_t>> matches(const std::vector<std::string>& a,
                                                         const std::vector<std::string>& b) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  if (a.size() > kMaxLines || b.size() > kMaxLines) return out;
  std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<unsigned>> len(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      len[i][j] = a[i] == b[j] ? len[i + 1][j + 1] + 1 : std::max(len[i + 1][j], len[i][j + 1]);
    }
  }
  for (std::size_t i = 0, j = 0; i < n && j < m;) {
    if (a[i] == b[j]) {
      out.emplace_back(i++, j++);
    } else if (len[i + 1][j] >= len[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

std::vector<Opcode> opcodes(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<Opcode> out;
  std::size_t i = 0, j = 0;
  auto gap = [&](std::size_t to_i, std::size_t to_j) {
    char tag = i < to_i && j < to_j ? 'r' : i < to_i ? 'd' : j < to_j ? 'i' : 0;
    if (tag != 0) out.push_back({tag, i, to_i, j, to_j});
  };
  for (const auto& [mi, mj] : matches(a, b)) {
    gap(mi, mj);
    if (!out.empty() && out.back().tag == 'e' && out.back().i2 == mi && out.back().j2 == mj) {
      ++out.back().i2;
      ++out.back().j2;
    } else {
      out.push_back({'e', mi, mi + 1, mj, mj + 1});
    }
    i = mi + 1;
    j = mj + 1;
  }
  gap(a.size(), b.size());
  return out;
}

// difflib's get_grouped_opcodes(): hunks with `kContext` lines of context around changes.
std::vector<std::vector<Opcode>> grouped(std::vector<Opcode> codes) {
  std::vector<std::vector<Opcode>> groups;
  if (codes.empty()) codes.push_back({'e', 0, 1, 0, 1});
  if (codes.front().tag == 'e') {
    Opcode& c = codes.front();
    c.i1 = std::max(c.i1, c.i2 > kContext ? c.i2 - kContext : 0);
    c.j1 = std::max(c.j1, c.j2 > kContext ? c.j2 - kContext : 0);
  }
  if (codes.back().tag == 'e') {
    Opcode& c = codes.back();
    c.i2 = std::min(c.i2, c.i1 + kContext);
    c.j2 = std::min(c.j2, c.j1 + kContext);
  }
  std::vector<Opcode> group;
  for (Opcode c : codes) {
    if (c.tag == 'e' && c.i2 - c.i1 > 2 * kContext) {
      group.push_back({'e', c.i1, std::min(c.i2, c.i1 + kContext), c.j1,
                       std::min(c.j2, c.j1 + kContext)});
      groups.push_back(group);
      group.clear();
      c.i1 = std::max(c.i1, c.i2 - kContext);
      c.j1 = std::max(c.j1, c.j2 - kContext);
    }
    group.push_back(c);
  }
  if (!group.empty() && !(group.size() == 1 && group.front().tag == 'e')) groups.push_back(group);
  return groups;
}

std::string range(std::size_t start, std::size_t stop) {
  std::size_t length = stop - start;
  std::size_t beginning = start + 1;
  if (length == 1) return std::to_string(beginning);
  if (length == 0) --beginning;
  return std::to_string(beginning) + "," + std::to_string(length);
}

}  // namespace

std::vector<std::string> unified_diff(const std::string& before, const std::string& after) {
  std::vector<std::string> a = lines_of(before), b = lines_of(after);
  std::vector<std::string> out;
  for (const auto& group : grouped(opcodes(a, b))) {
    if (out.empty()) {
      out.emplace_back("--- ");
      out.emplace_back("+++ ");
    }
    out.push_back("@@ -" + range(group.front().i1, group.back().i2) + " +" +
                  range(group.front().j1, group.back().j2) + " @@");
    for (const Opcode& c : group) {
      if (c.tag == 'e') {
        for (std::size_t k = c.i1; k < c.i2; ++k) out.push_back(" " + a[k]);
        continue;
      }
      for (std::size_t k = c.i1; k < c.i2; ++k) out.push_back("-" + a[k]);
      for (std::size_t k = c.j1; k < c.j2; ++k) out.push_back("+" + b[k]);
    }
  }
  return out;
}

std::string render_diff(const std::vector<std::string>& lines, bool color) {
  std::string out;
  for (const auto& line : lines) {
    const char* code = nullptr;
    if (color && line.rfind("@@", 0) == 0) code = "36";
    else if (color && !line.empty() && line[0] == '-' && line != "--- ") code = "31";
    else if (color && !line.empty() && line[0] == '+' && line != "+++ ") code = "32";
    out += code ? "\033[" + std::string(code) + "m" + line + "\033[0m\n" : line + "\n";
  }
  return out;
}

}  // namespace pghalo::ctl
