// The paper's tables from the grid's results (see tables.h): Tables 3, 4 and 5 and the averages per number
// of tasks (Figure 3) as Markdown. Table 3's averaging rule (STN over all cases, MTN over its 2+-task cases)
// is the one that reproduces the paper's Table 3 from its Table 4 (checked in tests/train/grid_test.cpp).
#include "agf/train/tables.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "agf/train/grid.h"
#include "agf/train/result_tables.h"

namespace agf {

// ---- Aggregates

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Mean {
  double sum = 0;
  int n = 0;
  void add(double v) { sum += v, ++n; }
  double get() const { return n ? sum / n : kNaN; }
};

}  // namespace

Table3 compute_table3(const std::vector<CaseResult>& results) {
  Mean sll[2], mll[2], sf[2], mf[2];
  for (const auto& r : results) {
    const int with_g = r.tasks.find('g') != std::string::npos ? 1 : 0;
    if (r.arch == "stn") sll[with_g].add(r.log_loss), sf[with_g].add(r.f1);
    if (r.arch == "mtn") mll[with_g].add(r.log_loss), mf[with_g].add(r.f1);
  }
  Table3 t{};
  for (int i = 0; i < 2; ++i) {
    t.stn_log_loss[i] = sll[i].get();
    t.mtn_log_loss[i] = mll[i].get();
    t.stn_f1[i] = sf[i].get();
    t.mtn_f1[i] = mf[i].get();
    t.stn_count[i] = sll[i].n;
    t.mtn_count[i] = mll[i].n;
  }
  return t;
}

std::vector<AverageByN> compute_average_by_n(const std::vector<CaseResult>& results) {
  std::vector<AverageByN> out;
  for (int n = 1; n <= 5; ++n) {
    Mean sll, mll, sf, mf;
    for (const auto& r : results) {
      if (r.n_tasks != n) continue;
      if (r.arch == "stn") sll.add(r.log_loss), sf.add(r.f1);
      if (r.arch == "mtn") mll.add(r.log_loss), mf.add(r.f1);
    }
    out.push_back({n, sll.get(), mll.get(), sf.get(), mf.get(), sll.n, mll.n});
  }
  return out;
}

std::vector<Table5Row> compute_table5(const std::vector<CaseResult>& results) {
  std::vector<Table5Row> out;
  for (int n = 2; n <= 5; ++n) {
    Table5Row row{n, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, "", "", "", ""};
    for (const auto& r : results) {
      if (r.n_tasks != n) continue;
      if (r.arch == "wstn") row.wstn_log_loss = r.log_loss, row.wstn_f1 = r.f1;
      const bool stn = r.arch == "stn", mtn = r.arch == "mtn";
      if (!stn && !mtn) continue;
      double& ll = stn ? row.stn_log_loss : row.mtn_log_loss;
      double& f1 = stn ? row.stn_f1 : row.mtn_f1;
      std::string& ll_case = stn ? row.stn_ll_case : row.mtn_ll_case;
      std::string& f1_case = stn ? row.stn_f1_case : row.mtn_f1_case;
      if (std::isnan(ll) || r.log_loss < ll) ll = r.log_loss, ll_case = r.case_name;
      if (std::isnan(f1) || r.f1 > f1) f1 = r.f1, f1_case = r.case_name;
    }
    out.push_back(row);
  }
  return out;
}

// ---- Markdown tables: the data tables of result_tables.h written as Markdown (the HTML report renders the
// same tables, so results.md and report.html show the same cells).

std::string table3_markdown(const std::vector<CaseResult>& results) { return to_markdown(table3_table(results)); }
std::string average_by_n_markdown(const std::vector<CaseResult>& results) {
  return to_markdown(average_by_n_table(results));
}
std::string table4_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  return to_markdown(table4_table(results, skip_empty_rows));
}
std::string table5_markdown(const std::vector<CaseResult>& results) {
  return to_markdown(table5_table(results)) + "\n" + table5_best_cases(results) + "\n";
}

std::string results_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  std::ostringstream os;
  os << "# Results\n\n"
     << results.size() << " finished cases; mean log loss (natural log) and macro F1 per track "
     << "on the validation split. Bold: best per number of tasks (Table 4), per column (Table 3), per row (Table "
        "5).\n\n"
     << "## Every combination (paper Table 4)\n\n"
     << table4_markdown(results, skip_empty_rows) << "\n## With and without the main task g (paper Table 3)\n\n"
     << table3_markdown(results) << "\n## Average per number of tasks (paper Figure 3)\n\n"
     << average_by_n_markdown(results) << "\n## wSTN against the best STN / MTN per N (paper Table 5)\n\n"
     << table5_markdown(results);
  const std::string cal = calibration_markdown(results);
  if (!cal.empty())
    os << "\n## Calibration (temperature scaling on held-out training tracks)\n\n"
       << "The tables above hold the raw (T = 1) numbers; the calibrated log loss is beside them here. ECE: 15 "
       << "equal-width bins over each track's top-class probability.\n\n"
       << cal;
  return os.str();
}

std::string calibration_markdown(const std::vector<CaseResult>& results) {  // "" when no case has one
  const TextTable t = calibration_table(results);
  return t.rows.empty() ? std::string() : to_markdown(t);
}

}  // namespace agf
