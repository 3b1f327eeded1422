// The results tables as data (result_tables.h): the same cells as grid.cpp's Markdown tables.
#include "agf/train/result_tables.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace agf {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fmt4(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Bold when v equals the best of its group (ties all bold); "-" for missing values.
TableCell cell(double v, double best) { return TableCell::bold_if(!std::isnan(v) && v == best, fmt4(v)); }

double best_of(const std::vector<double>& v, bool lower_is_better) {
  double best = kNaN;
  for (double x : v)
    if (!std::isnan(x) && (std::isnan(best) || (lower_is_better ? x < best : x > best))) best = x;
  return best;
}

}  // namespace

TextTable table3_table(const std::vector<CaseResult>& results) {
  const Table3 t = compute_table3(results);
  const double b[4] = {best_of({t.stn_log_loss[0], t.stn_log_loss[1]}, true),
                       best_of({t.mtn_log_loss[0], t.mtn_log_loss[1]}, true),
                       best_of({t.stn_f1[0], t.stn_f1[1]}, false), best_of({t.mtn_f1[0], t.mtn_f1[1]}, false)};
  TextTable out{{"", "LogLoss STN", "LogLoss MTN", "F1 STN", "F1 MTN"}, {false, true, true, true, true}, {}};
  const char* names[2] = {"without g", "with g"};
  for (int i = 0; i < 2; ++i)
    out.rows.push_back({names[i], cell(t.stn_log_loss[i], b[0]), cell(t.mtn_log_loss[i], b[1]), cell(t.stn_f1[i], b[2]),
                        cell(t.mtn_f1[i], b[3])});
  return out;
}

TextTable average_by_n_table(const std::vector<CaseResult>& results) {
  TextTable out{{"N", "LogLoss STN", "LogLoss MTN", "F1 STN", "F1 MTN", "cases STN", "cases MTN"},
                std::vector<bool>(7, true),
                {}};
  for (const auto& a : compute_average_by_n(results))
    out.rows.push_back({std::to_string(a.n), fmt4(a.stn_log_loss), a.n == 1 ? "N/A" : fmt4(a.mtn_log_loss),
                        fmt4(a.stn_f1), a.n == 1 ? "N/A" : fmt4(a.mtn_f1), std::to_string(a.stn_count),
                        std::to_string(a.mtn_count)});
  return out;
}

TextTable table4_table(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  const auto combos = task_combinations();
  auto value = [&](const char* arch, const std::string& t, bool f1) {
    const CaseResult* r = find_result(results, std::string(arch) + "-" + t);
    return r ? (f1 ? r->f1 : r->log_loss) : kNaN;
  };
  TextTable out{{"Tasks", "STN LogLoss", "STN F1", "MTN LogLoss", "MTN F1"}, {false, true, true, true, true}, {}};
  for (int n = 1; n <= 5; ++n) {
    std::vector<double> col[4];  // stn ll, stn f1, mtn ll, mtn f1 over this N
    for (const auto& t : combos) {
      if (static_cast<int>(t.size()) != n) continue;
      col[0].push_back(value("stn", t, false));
      col[1].push_back(value("stn", t, true));
      col[2].push_back(value("mtn", t, false));
      col[3].push_back(value("mtn", t, true));
    }
    const double best[4] = {best_of(col[0], true), best_of(col[1], false), best_of(col[2], true),
                            best_of(col[3], false)};
    for (const auto& t : combos) {
      if (static_cast<int>(t.size()) != n) continue;
      if (skip_empty_rows && std::isnan(value("stn", t, false)) && std::isnan(value("mtn", t, false))) continue;
      out.rows.push_back({t, cell(value("stn", t, false), best[0]), cell(value("stn", t, true), best[1]),
                          n == 1 ? TableCell("N/A") : cell(value("mtn", t, false), best[2]),
                          n == 1 ? TableCell("N/A") : cell(value("mtn", t, true), best[3])});
    }
  }
  return out;
}

TextTable table5_table(const std::vector<CaseResult>& results) {
  TextTable out{{"N", "LogLoss wSTN", "LogLoss STN", "LogLoss MTN", "F1 wSTN", "F1 STN", "F1 MTN"},
                std::vector<bool>(7, true),
                {}};
  for (const auto& r : compute_table5(results)) {
    const double bl = best_of({r.wstn_log_loss, r.stn_log_loss, r.mtn_log_loss}, true);
    const double bf = best_of({r.wstn_f1, r.stn_f1, r.mtn_f1}, false);
    out.rows.push_back({std::to_string(r.n), cell(r.wstn_log_loss, bl), cell(r.stn_log_loss, bl),
                        cell(r.mtn_log_loss, bl), cell(r.wstn_f1, bf), cell(r.stn_f1, bf), cell(r.mtn_f1, bf)});
  }
  return out;
}

std::string table5_best_cases(const std::vector<CaseResult>& results) {
  std::string s = "Best cases per N (log loss / F1):";
  auto name = [](const std::string& c) { return c.empty() ? std::string("-") : c; };
  for (const auto& r : compute_table5(results))
    s += (r.n == 2 ? " " : "; ") + std::string("N=") + std::to_string(r.n) + " STN " + name(r.stn_ll_case) + " / " +
         name(r.stn_f1_case) + ", MTN " + name(r.mtn_ll_case) + " / " + name(r.mtn_f1_case);
  return s;
}

TextTable calibration_table(const std::vector<CaseResult>& results) {
  TextTable out{{"case", "log loss (raw)", "log loss (calibrated)", "ECE (raw)", "ECE (calibrated)", "T"},
                std::vector<bool>(6, false),
                {}};
  for (const CaseResult& r : results)
    if (!std::isnan(r.log_loss_calibrated))
      out.rows.push_back({r.case_name, fmt4(r.log_loss), fmt4(r.log_loss_calibrated), fmt4(r.ece),
                          fmt4(r.ece_calibrated), fmt4(r.temperature)});
  return out;
}

}  // namespace agf
