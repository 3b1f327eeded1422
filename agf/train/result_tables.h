// The paper's result tables (Tables 3, 4, 5, the per-N averages of Figure 3 and the calibration table) as data
// (util/text_table.h), from the aggregates of tables.h: the HTML report renders these, and tables.h's
// *_markdown() are to_markdown() of them, so results.md and report.html show the same cells, bold marks
// included (tests/fixtures/tables pins the Markdown).
#pragma once
#include <string>
#include <vector>

#include "agf/train/grid.h"
#include "util/text_table.h"

namespace agf {

TextTable table3_table(const std::vector<CaseResult>& results);        // best of each column bold
TextTable average_by_n_table(const std::vector<CaseResult>& results);  // Figure 3 as a table
TextTable table4_table(const std::vector<CaseResult>& results, bool skip_empty_rows = false);  // best per N bold
TextTable table5_table(const std::vector<CaseResult>& results);  // best per row and metric bold
// The line after Table 5: "Best cases per N (log loss / F1): N=2 STN stn-gs / stn-gs, MTN ...".
std::string table5_best_cases(const std::vector<CaseResult>& results);
TextTable calibration_table(const std::vector<CaseResult>& results);  // no rows when no case has one

}  // namespace agf
