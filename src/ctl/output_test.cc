#include "ctl/output.h"

#include <gtest/gtest.h>

#include "ctl/table.h"

namespace pghalo::ctl {
namespace {

Rows history_columns() {
  Rows rows;
  rows.columns = {"TL", "LSN", "Reason", "Timestamp", "New Leader"};
  rows.right_aligned = {"TL", "LSN"};
  return rows;
}

TEST(Output, AnEmptyTableHasItsHeaderBetweenRulesAsInPatronictlHistory) {
  EXPECT_EQ(render_rows(history_columns(), Format::kPretty),
            "+----+-----+--------+-----------+------------+\n"
            "| TL | LSN | Reason | Timestamp | New Leader |\n"
            "+----+-----+--------+-----------+------------+\n"
            "+----+-----+--------+-----------+------------+\n");
}

TEST(Output, RightAlignedColumnsAndTheTitleWrittenOverTheTopRule) {
  Rows rows;
  rows.columns = {"Member", "TL"};
  rows.right_aligned = {"TL"};
  rows.rows = {{"node1", 1}, {"node22", 12}};
  rows.title = " Cluster: x ";
  EXPECT_EQ(render_rows(rows, Format::kPretty),
            "+ Cluster: x -+\n"
            "| Member | TL |\n"
            "+--------+----+\n"
            "| node1  |  1 |\n"
            "| node22 | 12 |\n"
            "+--------+----+\n");
}

TEST(Output, ATitleLongerThanTheTableIsCut) {
  Table table;
  table.columns = {"A"};
  table.title = " Cluster: a-very-long-name ";
  EXPECT_EQ(render_table(table).substr(0, 6), "+ Cl+\n");
}

TEST(Output, MultiLineCellsGetARuleAfterEveryRow) {
  Rows rows;
  rows.columns = {"Member", "Tags"};
  rows.rows = {{"a", nlohmann::json::parse(R"({"x":1,"y":2})")}, {"b", ""}};
  EXPECT_EQ(render_rows(rows, Format::kPretty),
            "+--------+------+\n"
            "| Member | Tags |\n"
            "+--------+------+\n"
            "| a      | x: 1 |\n"
            "|        | y: 2 |\n"
            "+--------+------+\n"
            "| b      |      |\n"
            "+--------+------+\n");
}

TEST(Output, ColoursDoNotChangeTheWidths) {
  Table table;
  table.columns = {"Role"};
  table.rows = {{"Leader"}};
  table.colors = {{"1;32"}};
  EXPECT_EQ(render_table(table),
            "+--------+\n| Role   |\n+--------+\n| \033[1;32mLeader\033[0m |\n+--------+\n");
}

TEST(Output, JsonIsSpacedLikePythonAndListingsDropEmptyCells) {
  Rows rows;
  rows.cluster_listing = true;
  rows.columns = {"Cluster", "Member", "Lag in MB"};
  rows.rows = {{"c", "node1", ""}, {"c", "node2", 0}};
  EXPECT_EQ(render_rows(rows, Format::kJson),
            "[{\"Cluster\": \"c\", \"Member\": \"node1\"}, "
            "{\"Cluster\": \"c\", \"Member\": \"node2\", \"Lag in MB\": 0}]\n");
  EXPECT_EQ(render_rows(rows, Format::kYaml),
            "- Cluster: c\n  Member: node1\n- Cluster: c\n  Lag in MB: 0\n  Member: node2\n");
  EXPECT_EQ(render_rows(rows, Format::kTsv), "Cluster\tMember\tLag in MB\nc\tnode1\t\nc\tnode2\t0\n");
}

TEST(Output, NonListingJsonKeepsEmptyCells) {
  Rows rows = history_columns();
  rows.rows = {{1, 100, "r", "", ""}};
  EXPECT_EQ(render_rows(rows, Format::kJson),
            "[{\"TL\": 1, \"LSN\": 100, \"Reason\": \"r\", \"Timestamp\": \"\", \"New Leader\": "
            "\"\"}]\n");
}

TEST(Output, UnknownFormatsAreRefusedWithTheChoices) {
  auto f = parse_format("xml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(f.error().message.find("pretty, tsv, json or yaml"), std::string::npos);
  EXPECT_EQ(*parse_format("yml"), Format::kYaml);
}

TEST(Output, PythonJsonEscapesNonAscii) {
  EXPECT_EQ(python_json(nlohmann::ordered_json::parse(R"({"a":"é","b":[1,2]})")),
            "{\"a\": \"\\u00e9\", \"b\": [1, 2]}");
}

}  // namespace
}  // namespace pghalo::ctl
