// Several seeds of one grid (see seeds.h): statistics, aggregation and the Markdown of a several-seed folder.
#include "agf/train/seeds.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "agf/data/csv.h"
#include "agf/train/rng.h"
#include "util/error.h"
#include "util/fs.h"

namespace agf {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
// Below this p and outside the seed-to-seed spread a difference is called significant.
constexpr double kAlpha = 0.05;

std::string fmt4(double v) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

std::string fmt3(double v) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

// "p = 0.012", or "p < 0.001" when no resample was as extreme as the observed difference (p is then
// 1 / (resamples + 1), the resolution of the bootstrap). resamples 0: an exact p.
std::string fmt_p(double p, int resamples) {
  if (resamples > 0 && p <= 1.0 / (resamples + 1) * (1 + 1e-9))
    return "p < " + fmt3(std::max(0.001, 1.0 / (resamples + 1)));
  char b[32];
  std::snprintf(b, sizeof b, "%.2g", p);
  return std::string("p = ") + b;
}
// The same for a table cell: "0.012" or "< 0.001".
std::string p_cell(double p, int resamples) {
  const std::string t = fmt_p(p, resamples);
  return t.compare(0, 4, "p = ") == 0 ? t.substr(4) : t.substr(2);
}

// A significant difference: p below kAlpha and the mean difference at least its seed-to-seed spread.
bool significant(const PairedComparison& c) {
  return c.p_bootstrap < kAlpha && (!std::isfinite(c.seed_std) || std::fabs(c.mean_diff) >= c.seed_std);
}

}  // namespace

// ---- Statistics

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd r;
  double sum = 0;
  for (double x : v)
    if (!std::isnan(x)) sum += x, ++r.n;
  r.mean = r.n ? sum / r.n : kNaN;
  if (r.n < 2) {
    r.std = kNaN;
    return r;
  }
  double ss = 0;
  for (double x : v)
    if (!std::isnan(x)) ss += (x - r.mean) * (x - r.mean);
  r.std = std::sqrt(ss / (r.n - 1));
  return r;
}

double sign_test_p(int n_pos, int n_neg) {
  AGF_CHECK(n_pos >= 0 && n_neg >= 0, UsageError, "sign test: negative counts (", n_pos, ", ", n_neg, ")");
  const int n = n_pos + n_neg, k = std::min(n_pos, n_neg);
  if (n == 0) return 1.0;
  // P(X <= k) for X ~ Binomial(n, 1/2), term by term in log space (n may be thousands of tracks).
  double tail = 0;
  for (int i = 0; i <= k; ++i)
    tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
  return std::min(1.0, 2.0 * tail);
}

PairedComparison paired_compare(const std::vector<std::vector<double>>& loss_a,
                                const std::vector<std::vector<double>>& loss_b, int resamples,
                                uint64_t bootstrap_seed) {
  AGF_CHECK(!loss_a.empty() && loss_a.size() == loss_b.size(), ShapeError, "paired comparison: ", loss_a.size(),
            " seeds on one side, ", loss_b.size(), " on the other (need the same, at least one)");
  AGF_CHECK(resamples > 0, UsageError, "paired comparison: resamples must be > 0, got ", resamples);
  const size_t S = loss_a.size(), T = loss_a[0].size();
  AGF_CHECK(T > 0, ShapeError, "paired comparison: no tracks");
  for (size_t s = 0; s < S; ++s)
    AGF_CHECK(loss_a[s].size() == T && loss_b[s].size() == T, ShapeError, "paired comparison: seed ", s, " has ",
              loss_a[s].size(), " and ", loss_b[s].size(), " tracks, seed 0 ", T);
  PairedComparison c;
  c.seeds = int(S);
  c.tracks = int(T);
  c.resamples = resamples;
  // Per track: the mean over seeds of the paired difference (same track, same seed); per seed: its mean.
  std::vector<double> per_track(T, 0.0), per_seed(S, 0.0);
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < T; ++t) {
      const double d = loss_a[s][t] - loss_b[s][t];
      per_track[t] += d / double(S);
      per_seed[s] += d / double(T);
    }
  double mean = 0;
  for (double d : per_track) mean += d;
  mean /= double(T);
  c.mean_diff = mean;
  c.seed_std = mean_std(per_seed).std;
  for (double d : per_track) {
    if (d < 0) ++c.tracks_a_better;
    if (d > 0) ++c.tracks_b_better;
  }
  c.p_sign = sign_test_p(c.tracks_a_better, c.tracks_b_better);
  // Paired bootstrap over tracks: draw T tracks with replacement (each keeps all its seeds), take the mean
  // difference. p is two-sided against "no difference" by the shift method: the share of resampled means at
  // least as far from the observed mean as the observed mean is from 0, (count + 1) / (resamples + 1).
  const uint64_t key = mix64(bootstrap_seed ^ 0x6167662d626f6f74ull);  // "agf-boot"
  std::vector<double> means(static_cast<size_t>(resamples));
  int extreme = 0;
  for (int b = 0; b < resamples; ++b) {
    double m = 0;
    for (size_t i = 0; i < T; ++i) {
      const uint64_t j = 2 * (uint64_t(b) * T + i);
      const uint64_t r = (uint64_t(philox_u32(key, 0, j)) << 32) | philox_u32(key, 0, j + 1);
      m += per_track[size_t(r % T)];
    }
    m /= double(T);
    means[size_t(b)] = m;
    if (std::fabs(m - mean) >= std::fabs(mean)) ++extreme;
  }
  c.p_bootstrap = std::min(1.0, (extreme + 1.0) / (resamples + 1.0));
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {
    const double pos = q * double(resamples - 1);
    const size_t lo = size_t(std::floor(pos)), hi = std::min(lo + 1, size_t(resamples - 1));
    return means[lo] + (pos - double(lo)) * (means[hi] - means[lo]);
  };
  c.ci_lo = quantile(0.025);
  c.ci_hi = quantile(0.975);
  return c;
}

TrackLosses load_track_losses(const std::string& path) {
  AGF_CHECK(std::filesystem::exists(path), IOError, path, ": no such file (a finished case's per-track predictions)");
  const std::vector<CsvRecord> recs = parse_csv(read_file_bytes(path), path);
  AGF_CHECK(!recs.empty(), FormatError, path, ":1: empty file");
  // The rows as written, for messages.
  auto text = [](const CsvRecord& r) {
    std::string s = csv_row(r.fields);
    s.pop_back();
    return s;
  };
  const std::vector<std::string>& head = recs[0].fields;
  AGF_CHECK(head.size() >= 5 && head[0] == "track_id" && head[1] == "label" && head[2] == "predicted", FormatError,
            path, ":", recs[0].line,
            ": expected the header track_id,label,predicted,<genre>,... with two or more "
            "genres, found '",
            text(recs[0]), "'");
  std::map<std::string, size_t> column;
  for (size_t i = 3; i < head.size(); ++i) column[head[i]] = i;
  TrackLosses out;
  const double eps = std::numeric_limits<double>::epsilon();
  for (size_t r = 1; r < recs.size(); ++r) {
    const std::vector<std::string>& v = recs[r].fields;
    const int64_t line_no = recs[r].line;
    AGF_CHECK(v.size() == head.size(), FormatError, path, ":", line_no, ": expected ", head.size(), " fields, found ",
              v.size());
    const auto it = column.find(v[1]);
    AGF_CHECK(it != column.end(), FormatError, path, ":", line_no, ": label '", v[1], "' is not a genre column");
    try {
      size_t used = 0;
      const int64_t id = std::stoll(v[0], &used);
      AGF_CHECK(used == v[0].size(), FormatError, path, ":", line_no, ": bad track id '", v[0], "'");
      const double p = std::stod(v[it->second], &used);
      AGF_CHECK(used == v[it->second].size() && std::isfinite(p) && p >= -1e-6 && p <= 1 + 1e-6, FormatError, path, ":",
                line_no, ": probability '", v[it->second], "' of the label is not a number in [0, 1]");
      out.track_ids.push_back(id);
      out.loss.push_back(-std::log(std::min(std::max(p, eps), 1.0 - eps)));
    } catch (const std::logic_error&) {
      throw FormatError(str(path, ":", line_no, ": bad number in '", text(recs[r]), "'"));
    }
  }
  AGF_CHECK(!out.loss.empty(), FormatError, path, ": no tracks");
  return out;
}

// ---- Several seeds

std::string seed_dir(const std::string& out_dir, uint64_t seed) { return out_dir + "/seed-" + std::to_string(seed); }

const std::vector<ComparisonPair>& comparison_pairs() {
  static const std::vector<ComparisonPair> pairs = {
      {"stn-gsedm", "stn-g", "gsedm", "g", " (STNs)"},
      {"mtn-gsedm", "stn-gsedm", "the MTN", "the STN", " on gsedm"},
      {"mtn-gs", "stn-gs", "the MTN", "the STN", " on gs"},
  };
  return pairs;
}

namespace {

// The finding of several seeds from the first comparison.
std::string seeds_finding(const PairedComparison& c, const ComparisonPair& p) {
  const std::string over = str(" over ", c.seeds, c.seeds == 1 ? " seed" : " seeds", " (paired bootstrap over ",
                               c.tracks, " tracks x ", c.seeds, c.seeds == 1 ? " seed, " : " seeds, ",
                               fmt_p(c.p_bootstrap, c.resamples), "; sign test over tracks ", fmt_p(c.p_sign, 0), ")");
  const std::string by = str(fmt3(std::fabs(c.mean_diff)), " ± ", fmt3(c.seed_std), " log loss");
  if (c.seeds < 2)
    return str("One seed cannot tell whether ", p.a_label, " beats ", p.b_label, p.context,
               ": the seed-to-seed spread is unknown.");
  if (significant(c)) {
    const bool a_wins = c.mean_diff < 0;
    return str(a_wins ? p.a_label : p.b_label, " beats ", a_wins ? p.b_label : p.a_label, p.context, " by ", by, over,
               ".");
  }
  const std::string why =
      c.p_bootstrap >= kAlpha ? str("p >= ", kAlpha) : std::string("within the seed-to-seed spread");
  return str(p.a_label, " and ", p.b_label, p.context, " cannot be told apart (", why, "): ", p.a_label, " is ",
             c.mean_diff < 0 ? "better" : "worse", " by ", by, over, ".");
}

}  // namespace

SeedsSummary summarise_seeds(const std::string& out_dir, const std::vector<uint64_t>& seeds) {
  SeedsSummary s;
  s.seeds = seeds;
  std::vector<std::string> order;
  for (uint64_t seed : seeds) {
    s.per_seed.push_back(ResultsStore(seed_dir(out_dir, seed) + "/results.csv").load());
    for (const CaseResult& r : s.per_seed.back())
      if (std::find(order.begin(), order.end(), r.case_name) == order.end()) order.push_back(r.case_name);
  }
  for (const std::string& name : order) {
    std::vector<double> ll, f1, acc, secs, llc, ece, ecec, temp;
    const CaseResult* first = nullptr;
    for (const auto& rows : s.per_seed) {
      const CaseResult* r = find_result(rows, name);
      if (!r) continue;
      if (!first) first = r;
      ll.push_back(r->log_loss), f1.push_back(r->f1), acc.push_back(r->accuracy), secs.push_back(r->seconds);
      llc.push_back(r->log_loss_calibrated), ece.push_back(r->ece), ecec.push_back(r->ece_calibrated),
          temp.push_back(r->temperature);
    }
    SeedCell cell{name, mean_std(ll), mean_std(f1), mean_std(acc)};
    CaseResult m = *first;
    m.log_loss = cell.log_loss.mean, m.f1 = cell.f1.mean, m.accuracy = cell.accuracy.mean;
    m.seconds = mean_std(secs).mean;
    m.log_loss_calibrated = mean_std(llc).mean, m.ece = mean_std(ece).mean, m.ece_calibrated = mean_std(ecec).mean,
    m.temperature = mean_std(temp).mean;
    s.cells.push_back(cell);
    s.means.push_back(m);
  }
  // Paired comparisons over the seeds that finished both cases, tracks aligned by id.
  std::vector<int64_t> tracks0;  // the first seed's tracks: every seed and case must have the same
  for (const ComparisonPair& p : comparison_pairs()) {
    std::vector<std::vector<double>> la, lb;
    for (size_t i = 0; i < seeds.size(); ++i) {
      if (!find_result(s.per_seed[i], p.a) || !find_result(s.per_seed[i], p.b)) continue;
      const std::string da = seed_dir(out_dir, seeds[i]) + "/cases/" + p.a + "/predictions.csv";
      const std::string db = seed_dir(out_dir, seeds[i]) + "/cases/" + p.b + "/predictions.csv";
      const TrackLosses a = load_track_losses(da), b = load_track_losses(db);
      if (tracks0.empty()) tracks0 = a.track_ids;
      AGF_CHECK(a.track_ids == tracks0, FormatError, da, ": its ", a.track_ids.size(),
                " validation tracks differ from the other cases' and seeds' (", tracks0.size(),
                "); all seeds must share one work folder");
      AGF_CHECK(b.track_ids == tracks0, FormatError, db, ": its ", b.track_ids.size(),
                " validation tracks differ from the other cases' and seeds' (", tracks0.size(),
                "); all seeds must share one work folder");
      la.push_back(a.loss);
      lb.push_back(b.loss);
    }
    if (la.empty()) continue;
    PairedComparison c = paired_compare(la, lb);
    c.a = p.a;
    c.b = p.b;
    if (s.comparisons.empty()) s.finding = seeds_finding(c, p);
    s.comparisons.push_back(c);
  }
  return s;
}

TextTable table4_seeds_table(const SeedsSummary& s, bool skip_empty_rows) {
  const auto combos = task_combinations();
  auto cell_of = [&](const std::string& name) -> const SeedCell* {
    for (const SeedCell& c : s.cells)
      if (c.case_name == name) return &c;
    return nullptr;
  };
  auto stat = [](const SeedCell* c, int col) -> const MeanStd* {
    if (!c) return nullptr;
    return col % 2 == 0 ? &c->log_loss : &c->f1;
  };
  TextTable out{{"Tasks", "STN LogLoss", "STN F1", "MTN LogLoss", "MTN F1"}, {false, true, true, true, true}, {}};
  const size_t n_seeds = s.seeds.size();
  for (int n = 1; n <= 5; ++n) {
    // The best mean per column over this N, and its std (for the "(ns)" marks).
    const MeanStd* best[4] = {nullptr, nullptr, nullptr, nullptr};
    for (const auto& t : combos) {
      if (int(t.size()) != n) continue;
      for (int col = 0; col < 4; ++col) {
        const MeanStd* v = stat(cell_of((col < 2 ? "stn-" : "mtn-") + t), col);
        if (!v || std::isnan(v->mean)) continue;
        const bool lower = col % 2 == 0;
        if (!best[col] || (lower ? v->mean < best[col]->mean : v->mean > best[col]->mean)) best[col] = v;
      }
    }
    auto text = [&](const MeanStd* v, int col) {
      if (!v || std::isnan(v->mean)) return TableCell("-");
      const bool is_best = best[col] && v->mean == best[col]->mean;
      TableCell out = TableCell::bold_if(is_best, fmt4(v->mean));
      const std::string tail = std::isfinite(v->std) ? " ± " + fmt4(v->std) : std::string(" (1 seed)");
      out.text += tail;
      if (v->n > 1 && size_t(v->n) < n_seeds) out.text += str(" [", v->n, " seeds]");
      if (!is_best && best[col]) {
        const double spread =
            std::max(std::isfinite(v->std) ? v->std : 0.0, std::isfinite(best[col]->std) ? best[col]->std : 0.0);
        if (std::fabs(v->mean - best[col]->mean) < spread) out.text += " (ns)";
      }
      return out;
    };
    for (const auto& t : combos) {
      if (int(t.size()) != n) continue;
      const SeedCell* sc = cell_of("stn-" + t);
      const SeedCell* mc = cell_of("mtn-" + t);
      if (skip_empty_rows && !sc && !mc) continue;
      out.rows.push_back({t, text(stat(sc, 0), 0), text(stat(sc, 1), 1),
                          n == 1 ? TableCell("N/A") : text(stat(mc, 2), 2),
                          n == 1 ? TableCell("N/A") : text(stat(mc, 3), 3)});
    }
  }
  return out;
}

std::string table4_seeds_markdown(const SeedsSummary& s, bool skip_empty_rows) {
  return to_markdown(table4_seeds_table(s, skip_empty_rows));
}

std::string no_comparisons_text() {
  return "No pair of compared cases (stn-gsedm/stn-g, mtn-gsedm/stn-gsedm, mtn-gs/stn-gs) finished in the same seed.";
}

TextTable comparisons_table(const SeedsSummary& s) {
  TextTable out{{"a", "b", "seeds", "tracks", "log loss a - b (mean ± seed std)", "95 % bootstrap interval",
                 "p (bootstrap)", "tracks a / b better", "p (sign test)", "verdict"},
                {false, false, true, true, true, true, true, true, true, false},
                {}};
  for (const PairedComparison& c : s.comparisons) {
    const std::string verdict =
        significant(c) ? (c.mean_diff < 0 ? c.a + " better" : c.b + " better") : "not significant";
    out.rows.push_back({c.a, c.b, std::to_string(c.seeds), std::to_string(c.tracks),
                        fmt4(c.mean_diff) + " ± " + fmt4(c.seed_std), "[" + fmt4(c.ci_lo) + ", " + fmt4(c.ci_hi) + "]",
                        p_cell(c.p_bootstrap, c.resamples), str(c.tracks_a_better, " / ", c.tracks_b_better),
                        p_cell(c.p_sign, 0), verdict});
  }
  return out;
}

std::string comparisons_markdown(const SeedsSummary& s) {
  if (s.comparisons.empty()) return no_comparisons_text() + "\n";
  return to_markdown(comparisons_table(s));
}

std::string seeds_results_markdown(const SeedsSummary& s) {
  std::string seeds;
  for (uint64_t v : s.seeds) seeds += (seeds.empty() ? "" : ",") + std::to_string(v);
  std::ostringstream os;
  os << "# Results over " << s.seeds.size() << " seeds (" << seeds << ")\n\n"
     << s.cells.size() << " cases; per case the mean ± sample standard deviation (n - 1) over the seeds of the mean "
     << "log loss (natural log) and macro F1 per track on the validation split. The seeds vary the training randomness "
     << "(initialisation, shuffles, crops, dropout of the nets and MLPs); corpus, split and factors are shared. Bold: "
     << "best mean per number of tasks and column; (ns): its difference from that best is smaller than the larger of "
     << "the two standard deviations, so not significant. Each seed's own tables are in seed-S/results.md.\n\n"
     << "## Every combination (paper Table 4), mean ± std over seeds\n\n"
     << table4_seeds_markdown(s) << "\n## Paired comparisons\n\n"
     << "Per validation track and seed, the log loss of a minus that of b (negative: a is better). p (bootstrap): "
     << "two-sided, 10000 paired resamples of the tracks (each with all its seeds; seeded, deterministic), shift "
        "method. "
     << "p (sign test): exact binomial test over the tracks on which a or b is better on average over the seeds. "
     << "Significant: p < 0.05 and the mean difference at least its seed-to-seed standard deviation. With few tracks "
     << "the bootstrap p is optimistic (it cannot fall outside the range of the tracks' differences); the sign test is "
     << "exact.\n\n"
     << comparisons_markdown(s);
  if (!s.finding.empty()) os << "\n**Finding:** " << s.finding << "\n";
  os << "\n## With and without the main task g (paper Table 3), per-case means\n\n"
     << table3_markdown(s.means) << "\n## Average per number of tasks (paper Figure 3), per-case means\n\n"
     << average_by_n_markdown(s.means)
     << "\n## wSTN against the best STN / MTN per N (paper Table 5), per-case means\n\n"
     << table5_markdown(s.means);
  const std::string cal = calibration_markdown(s.means);
  if (!cal.empty()) os << "\n## Calibration, per-case means\n\n" << cal;
  return os.str();
}

std::string one_seed_finding(const std::vector<CaseResult>& results, const std::string& rerun_hint) {
  for (const ComparisonPair& p : comparison_pairs()) {
    const CaseResult* a = find_result(results, p.a);
    const CaseResult* b = find_result(results, p.b);
    if (!a || !b) continue;
    return str("One seed cannot tell whether ", p.a_label, " beats ", p.b_label, p.context, ": ", p.a, "'s log loss ",
               fmt4(a->log_loss), " against ", p.b, "'s ", fmt4(b->log_loss),
               " is one draw of the training randomness, "
               "whose seed-to-seed spread is unknown; run `",
               rerun_hint, "` to measure it.");
  }
  return "";
}

}  // namespace agf
