#include "ctl/table.h"

#include <algorithm>


namespace pghalo::ctl {
namespace {

std::vector<std::string> cell_lines(const std::string& cell) { return split_lines(cell); }

std::string justify(const std::string& text, std::size_t width, Align align) {
  std::size_t used = display_width(text);
  std::string pad(width > used ? width - used : 0, ' ');
  return align == Align::kRight ? pad + text : text + pad;
}

struct Layout {
  std::vector<std::size_t> widths;
  bool rule_after_each_row = false;
};

Layout measure(const Table& table) {
  Layout layout;
  for (const auto& column : table.columns) layout.widths.push_back(display_width(column));
  for (const auto& row : table.rows) {
    for (std::size_t c = 0; c < row.size() && c < layout.widths.size(); ++c) {
      auto lines = cell_lines(row[c]);
      if (lines.size() > 1) layout.rule_after_each_row = true;
      for (const auto& line : lines) {
        layout.widths[c] = std::max(layout.widths[c], display_width(line));
      }
    }
  }
  return layout;
}

std::string rule(const Layout& layout) {
  std::string out = "+";
  for (std::size_t w : layout.widths) out += std::string(w + 2, '-') + "+";
  return out;
}

// patronictl writes its title over the top rule, after the first '+', cut to fit.
std::string titled(const std::string& line, const std::string& title) {
  std::string cut = title.substr(0, line.size() > 2 ? line.size() - 2 : 0);
  return line.substr(0, 1) + cut + line.substr(1 + cut.size());
}

Align align_of(const Table& table, std::size_t column) {
  return column < table.align.size() ? table.align[column] : Align::kLeft;
}

std::string color_of(const Table& table, std::size_t row, std::size_t column) {
  if (row >= table.colors.size() || column >= table.colors[row].size()) return {};
  return table.colors[row][column];
}

void render_row(std::string& out, const Table& table, const Layout& layout,
                const std::vector<std::string>& cells, std::size_t row_index, bool header) {
  std::vector<std::vector<std::string>> lines;
  std::size_t height = 1;
  for (std::size_t c = 0; c < layout.widths.size(); ++c) {
    lines.push_back(cell_lines(c < cells.size() ? cells[c] : std::string()));
    height = std::max(height, lines.back().size());
  }
  for (std::size_t l = 0; l < height; ++l) {
    out += "|";
    for (std::size_t c = 0; c < layout.widths.size(); ++c) {
      const std::string& text = l < lines[c].size() ? lines[c][l] : std::string();
      std::string cell = justify(text, layout.widths[c], align_of(table, c));
      std::string color = header ? std::string() : color_of(table, row_index, c);
      if (!color.empty() && !text.empty()) cell = "\033[" + color + "m" + cell + "\033[0m";
      out += " " + cell + " |";
    }
    out += "\n";
  }
}

}  // namespace

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return lines;
    start = end + 1;
  }
}

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string render_table(const Table& table) {
  Layout layout = measure(table);
  std::string line = rule(layout);
  std::string out = (table.title.empty() ? line : titled(line, table.title)) + "\n";
  render_row(out, table, layout, table.columns, 0, true);
  out += line + "\n";
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    render_row(out, table, layout, table.rows[r], r, false);
    if (layout.rule_after_each_row && r + 1 < table.rows.size()) out += line + "\n";
  }
  out += line + "\n";
  return out;
}

}  // namespace pghalo::ctl
