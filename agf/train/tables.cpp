// The paper's tables from the grid's results (see tables.h): Tables 3, 4 and 5 and the averages per number
// of tasks (Figure 3) as Markdown. Table 3's averaging rule (STN over all cases, MTN over its 2+-task cases)
// is the one that reproduces the paper's Table 3 from its Table 4 (checked in tests/train/grid_test.cpp).
#include "agf/train/tables.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "agf/train/grid.h"

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

std::string fmt4(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Bold when v equals the best of its group (ties all bold); "-" for missing values.
std::string cell(double v, double best) {
  const std::string s = fmt4(v);
  return (!std::isnan(v) && v == best) ? "**" + s + "**" : s;
}

double best_of(const std::vector<double>& v, bool lower_is_better) {
  double best = kNaN;
  for (double x : v)
    if (!std::isnan(x) && (std::isnan(best) || (lower_is_better ? x < best : x > best))) best = x;
  return best;
}

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

// ---- Markdown tables

std::string table3_markdown(const std::vector<CaseResult>& results) {
  const Table3 t = compute_table3(results);
  const double b[4] = {best_of({t.stn_log_loss[0], t.stn_log_loss[1]}, true),
                       best_of({t.mtn_log_loss[0], t.mtn_log_loss[1]}, true),
                       best_of({t.stn_f1[0], t.stn_f1[1]}, false), best_of({t.mtn_f1[0], t.mtn_f1[1]}, false)};
  std::ostringstream os;
  os << "|  | LogLoss STN | LogLoss MTN | F1 STN | F1 MTN |\n|---|---:|---:|---:|---:|\n";
  const char* names[2] = {"without g", "with g"};
  for (int i = 0; i < 2; ++i)
    os << "| " << names[i] << " | " << cell(t.stn_log_loss[i], b[0]) << " | " << cell(t.mtn_log_loss[i], b[1])
       << " | " << cell(t.stn_f1[i], b[2]) << " | " << cell(t.mtn_f1[i], b[3]) << " |\n";
  return os.str();
}

std::string average_by_n_markdown(const std::vector<CaseResult>& results) {
  std::ostringstream os;
  os << "| N | LogLoss STN | LogLoss MTN | F1 STN | F1 MTN | cases STN | cases MTN |\n"
     << "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& a : compute_average_by_n(results))
    os << "| " << a.n << " | " << fmt4(a.stn_log_loss) << " | " << (a.n == 1 ? "N/A" : fmt4(a.mtn_log_loss))
       << " | " << fmt4(a.stn_f1) << " | " << (a.n == 1 ? "N/A" : fmt4(a.mtn_f1)) << " | " << a.stn_count
       << " | " << a.mtn_count << " |\n";
  return os.str();
}

std::string table4_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  const auto combos = task_combinations();
  auto value = [&](const char* arch, const std::string& t, bool f1) {
    const CaseResult* r = find_result(results, std::string(arch) + "-" + t);
    return r ? (f1 ? r->f1 : r->log_loss) : kNaN;
  };
  std::ostringstream os;
  os << "| Tasks | STN LogLoss | STN F1 | MTN LogLoss | MTN F1 |\n|---|---:|---:|---:|---:|\n";
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
      os << "| " << t << " | " << cell(value("stn", t, false), best[0]) << " | "
         << cell(value("stn", t, true), best[1]) << " | ";
      if (n == 1) os << "N/A | N/A |\n";
      else
        os << cell(value("mtn", t, false), best[2]) << " | " << cell(value("mtn", t, true), best[3]) << " |\n";
    }
  }
  return os.str();
}

std::string table5_markdown(const std::vector<CaseResult>& results) {
  const auto rows = compute_table5(results);
  std::ostringstream os;
  os << "| N | LogLoss wSTN | LogLoss STN | LogLoss MTN | F1 wSTN | F1 STN | F1 MTN |\n"
     << "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : rows) {
    const double bl = best_of({r.wstn_log_loss, r.stn_log_loss, r.mtn_log_loss}, true);
    const double bf = best_of({r.wstn_f1, r.stn_f1, r.mtn_f1}, false);
    os << "| " << r.n << " | " << cell(r.wstn_log_loss, bl) << " | " << cell(r.stn_log_loss, bl) << " | "
       << cell(r.mtn_log_loss, bl) << " | " << cell(r.wstn_f1, bf) << " | " << cell(r.stn_f1, bf) << " | "
       << cell(r.mtn_f1, bf) << " |\n";
  }
  os << "\nBest cases per N (log loss / F1):";
  for (const auto& r : rows) {
    auto name = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    os << (r.n == 2 ? " " : "; ") << "N=" << r.n << " STN " << name(r.stn_ll_case) << " / " << name(r.stn_f1_case)
       << ", MTN " << name(r.mtn_ll_case) << " / " << name(r.mtn_f1_case);
  }
  os << "\n";
  return os.str();
}

std::string results_markdown(const std::vector<CaseResult>& results, bool skip_empty_rows) {
  std::ostringstream os;
  os << "# Results\n\n" << results.size() << " finished cases; mean log loss (natural log) and macro F1 per track "
     << "on the validation split. Bold: best per number of tasks (Table 4), per column (Table 3), per row (Table 5).\n\n"
     << "## Every combination (paper Table 4)\n\n" << table4_markdown(results, skip_empty_rows)
     << "\n## With and without the main task g (paper Table 3)\n\n" << table3_markdown(results)
     << "\n## Average per number of tasks (paper Figure 3)\n\n" << average_by_n_markdown(results)
     << "\n## wSTN against the best STN / MTN per N (paper Table 5)\n\n" << table5_markdown(results);
  const std::string cal = calibration_markdown(results);
  if (!cal.empty())
    os << "\n## Calibration (temperature scaling on held-out training tracks)\n\n"
       << "The tables above hold the raw (T = 1) numbers; the calibrated log loss is beside them here. ECE: 15 "
       << "equal-width bins over each track's top-class probability.\n\n" << cal;
  return os.str();
}

std::string calibration_markdown(const std::vector<CaseResult>& results) {
  auto f4 = [](double v) {
    if (std::isnan(v)) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", v);
    return std::string(b);
  };
  std::ostringstream os;
  bool any = false;
  for (const CaseResult& r : results) {
    if (std::isnan(r.log_loss_calibrated)) continue;
    if (!any) os << "| case | log loss (raw) | log loss (calibrated) | ECE (raw) | ECE (calibrated) | T |\n"
                 << "|---|---|---|---|---|---|\n";
    any = true;
    os << "| " << r.case_name << " | " << f4(r.log_loss) << " | " << f4(r.log_loss_calibrated) << " | " << f4(r.ece)
       << " | " << f4(r.ece_calibrated) << " | " << f4(r.temperature) << " |\n";
  }
  return any ? os.str() : std::string();
}

}  // namespace agf
