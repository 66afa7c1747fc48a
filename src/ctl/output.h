// Tabular output in patronictl's four formats (-f pretty|tsv|json|yaml): the rows of `list`,
// `history`, `query` and `lag` go through here, so every command formats the same way and
// scripts written against patronictl's tsv/json/yaml keep working. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "ctl/table.h"

namespace pghalo::ctl {

enum class Format { kPretty, kTsv, kJson, kYaml };

// "pretty", "tsv", "json", "yaml" (or "yml"); anything else is kInvalidArgument naming them.
Result<Format> parse_format(std::string_view text);

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;  // cells: strings, numbers, null, maps (tags)
  std::vector<std::string> right_aligned;         // column names aligned right in `pretty`
  // A member listing: the first column names the cluster (kept in tsv, dropped from the pretty
  // table, whose title names it), and json/yaml leave out empty cells, as patronictl does.
  bool cluster_listing = false;
  std::string title;  // pretty only
  std::string delimiter = "\t";
  // Optional ANSI colours for the pretty table, same shape as `rows`.
  std::vector<std::vector<std::string>> colors;
};

std::string render_rows(const Rows& rows, Format format);

// JSON spaced like Python's json.dumps defaults (", " and ": "), ASCII only, keys in the order
// given: what patronictl's `-f json` prints.
std::string python_json(const nlohmann::ordered_json& value);

// A cell as text for tsv and pretty: strings as they are, numbers in decimal, null empty, maps
// and lists as YAML (block style for pretty, flow style for tsv).
std::string cell_text(const nlohmann::json& cell, bool block_yaml);

}  // namespace pghalo::ctl
