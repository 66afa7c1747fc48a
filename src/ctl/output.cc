#include "ctl/output.h"

#include <algorithm>

#include "ctl/yaml_text.h"

namespace pghalo::ctl {
namespace {

void append_json(std::string& out, const nlohmann::ordered_json& value) {
  using Json = nlohmann::ordered_json;
  if (value.is_object() || value.is_array()) {
    bool object = value.is_object();
    out += object ? '{' : '[';
    const char* separator = "";
    for (auto it = value.begin(); it != value.end(); ++it) {
      out += separator;
      separator = ", ";
      if (object) out += Json(it.key()).dump(-1, ' ', true, Json::error_handler_t::replace) + ": ";
      append_json(out, *it);
    }
    out += object ? '}' : ']';
    return;
  }
  out += value.dump(-1, ' ', true, Json::error_handler_t::replace);
}

bool is_empty_cell(const nlohmann::json& cell) {
  return cell.is_null() || (cell.is_string() && cell.get<std::string>().empty());
}

std::string render_delimited(const Rows& rows) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += rows.delimiter;
      out += cells[i];
    }
    out += "\n";
  };
  if (!rows.columns.empty()) line(rows.columns);
  for (const auto& row : rows.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) cells.push_back(cell_text(cell, false));
    line(cells);
  }
  return out;
}

std::string render_pretty(const Rows& rows) {
  std::size_t skip = rows.cluster_listing && !rows.columns.empty() ? 1 : 0;
  Table table;
  table.title = rows.title;
  for (std::size_t c = skip; c < rows.columns.size(); ++c) {
    const std::string& name = rows.columns[c];
    table.columns.push_back(name);
    bool right = std::find(rows.right_aligned.begin(), rows.right_aligned.end(), name) !=
                 rows.right_aligned.end();
    table.align.push_back(right ? Align::kRight : Align::kLeft);
  }
  for (std::size_t r = 0; r < rows.rows.size(); ++r) {
    std::vector<std::string> cells;
    for (std::size_t c = skip; c < rows.rows[r].size(); ++c) {
      cells.push_back(cell_text(rows.rows[r][c], true));
    }
    table.rows.push_back(std::move(cells));
    if (r < rows.colors.size()) {
      const auto& colors = rows.colors[r];
      table.colors.emplace_back(colors.begin() + static_cast<long>(std::min(skip, colors.size())),
                                colors.end());
    }
  }
  return render_table(table);
}

// One object per row; a member listing leaves empty cells out (patronictl does).
std::vector<nlohmann::ordered_json> row_objects(const Rows& rows) {
  std::vector<nlohmann::ordered_json> objects;
  for (const auto& row : rows.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < rows.columns.size() && c < row.size(); ++c) {
      if (rows.cluster_listing && is_empty_cell(row[c])) continue;
      object[rows.columns[c]] = row[c];
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

}  // namespace

Result<Format> parse_format(std::string_view text) {
  if (text == "pretty") return Format::kPretty;
  if (text == "tsv") return Format::kTsv;
  if (text == "json") return Format::kJson;
  if (text == "yaml" || text == "yml") return Format::kYaml;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown output format '" + std::string(text) +
                        "': use pretty, tsv, json or yaml");
}

std::string python_json(const nlohmann::ordered_json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

std::string cell_text(const nlohmann::json& cell, bool block_yaml) {
  if (cell.is_null()) return "";
  if (cell.is_string()) return cell.get<std::string>();
  if (cell.is_boolean()) return cell.get<bool>() ? "True" : "False";
  if (cell.is_structured()) {
    std::string text = block_yaml ? dump_yaml(cell) : dump_yaml_flow(cell);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  return cell.dump();
}

std::string render_rows(const Rows& rows, Format format) {
  switch (format) {
    case Format::kPretty:
      return render_pretty(rows);
    case Format::kTsv:
      return render_delimited(rows);
    case Format::kJson: {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (auto& object : row_objects(rows)) list.push_back(std::move(object));
      return python_json(list) + "\n";
    }
    case Format::kYaml: {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& object : row_objects(rows)) list.push_back(nlohmann::json(object));
      return dump_yaml(list);
    }
  }
  return {};
}

}  // namespace pghalo::ctl
