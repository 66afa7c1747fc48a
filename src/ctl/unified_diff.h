// A unified diff of two texts in the layout of Python's difflib.unified_diff (what patronictl
// edit-config prints: "--- ", "+++ ", "@@ -1,4 +1,4 @@", three lines of context), so scripts
// and tests that look for "+ttl: 10" lines keep working. Lines are matched by a longest common
// subsequence; configurations are small, so the quadratic table is no concern (inputs beyond
// 4000 lines are diffed as a whole replacement). Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace pghalo::ctl {

// The diff lines without line terminators; empty when the texts are equal.
std::vector<std::string> unified_diff(const std::string& before, const std::string& after);

// The diff as text, coloured (red '-', green '+', cyan '@@') when `color`.
std::string render_diff(const std::vector<std::string>& lines, bool color);

}  // namespace pghalo::ctl
