// The paper's tables from the grid's results: Tables 3, 4 and 5 and the averages per number of tasks of its
// Figure 3, as numbers and as Markdown (results.md).
#pragma once
#include <string>
#include <vector>
#include "agf/train/results_store.h"  // CaseResult

namespace agf {

// ---- Aggregates (NaN where no case contributes).
struct Table3 {
  // [0] without g, [1] with g; averages over all STN cases (singles included) and all MTN cases, as the
  // paper's Table 3 (its numbers are reproduced from its Table 4 this way).
  double stn_log_loss[2], mtn_log_loss[2], stn_f1[2], mtn_f1[2];
  int stn_count[2], mtn_count[2];
};
Table3 compute_table3(const std::vector<CaseResult>& results);

struct AverageByN {
  int n;
  double stn_log_loss, mtn_log_loss, stn_f1, mtn_f1;
  int stn_count, mtn_count;
};
std::vector<AverageByN> compute_average_by_n(const std::vector<CaseResult>& results);  // n = 1..5

struct Table5Row {
  int n;
  double wstn_log_loss, stn_log_loss, mtn_log_loss, wstn_f1, stn_f1, mtn_f1;
  // The STN/MTN cases that gave the best value of each metric (chosen per metric, as the paper's
  // Table 5 does for most of its rows); empty when none.
  std::string stn_ll_case, mtn_ll_case, stn_f1_case, mtn_f1_case;
};
std::vector<Table5Row> compute_table5(const std::vector<CaseResult>& results);  // n = 2..5

// Markdown, four decimals as the paper. Missing results print "-", MTN single-task rows "N/A".
std::string table3_markdown(const std::vector<CaseResult>& results);        // best of each column bold
std::string average_by_n_markdown(const std::vector<CaseResult>& results);  // Figure 3 as a table
// table4: skip_empty_rows leaves out combinations with neither an STN nor an MTN result (quick grids).
std::string table4_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows = false);  // best per N bold
std::string table5_markdown(const std::vector<CaseResult>& results);  // best per row and metric bold

// All tables in one Markdown document with headings (Tables 4, 3, 5 and the per-N averages), for
// results.md next to results.csv; skip_empty_rows as in table4_markdown.
// When a case has a calibrated log loss, a Calibration table follows (raw and calibrated log loss, ECE, T).
std::string results_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows = true);
std::string calibration_markdown(const std::vector<CaseResult>& results);  // "" when no case has one

}  // namespace agf
