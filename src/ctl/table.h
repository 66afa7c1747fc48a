// The boxed tables patronictl prints (Python's PrettyTable with patronictl's title injected into
// the top rule), so that operators and their screen-scraping scripts see the same layout:
//
//   + Cluster: pglab ---------+---------+---------+----+-----------+
//   | Member | Host           | Role    | State   | TL | Lag in MB |
//   +--------+----------------+---------+---------+----+-----------+
//   | node1  | 127.0.0.1:5432 | Leader  | running |  1 |           |
//   +--------+----------------+---------+---------+----+-----------+
//
// Cells may hold several lines (tags as YAML); the table then draws a rule after every row, as
// PrettyTable's ALL rules do. Colour is optional and never changes the widths. Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace pghalo::ctl {

enum class Align { kLeft, kRight };

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as wide as `columns`
  std::vector<Align> align;                    // per column; missing entries are kLeft
  std::string title;                           // written over the start of the top rule
  // Optional ANSI SGR codes per cell ("1;32"); empty: no colour. Same shape as `rows`.
  std::vector<std::vector<std::string>> colors;
};

// The table as text, one line per row line, each ending in '\n'.
std::string render_table(const Table& table);

// `text` cut at each '\n', keeping every line as it is (no trimming); "" gives one empty line.
std::vector<std::string> split_lines(const std::string& text);

// Display width of UTF-8 text: one column per code point (no East Asian wide forms).
std::size_t display_width(const std::string& text);

}  // namespace pghalo::ctl
