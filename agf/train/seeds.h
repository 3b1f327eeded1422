// Results over several seeds (`agf experiment --seeds 1,2,3`): per-cell mean and sample standard deviation,
// paired comparisons of two cases over seeds and validation tracks (paired bootstrap over tracks and an exact
// sign test), and the one-sentence finding the demo ends with.
//
// Layout of a several-seed folder OUT (default WORK/experiment-seeds):
//   OUT/seeds.json      {"seeds": [...], "settings": {...}}: every seed run there, and the settings they share
//   OUT/seed-S/         one complete one-seed experiment folder per seed (nets/, cases/, results.csv, ...)
//   OUT/summary.csv     per case: seeds, mean and sample std of log loss, macro F1 and accuracy
//   OUT/results.md      Table 4 as mean ± std, Tables 3 and 5 and per-N averages of the per-case means, the
//                       paired comparisons and the finding
//   OUT/report.html     the same, self-contained
// Every seed varies the training randomness only (nets and MLPs: initialisation, shuffles, crops, dropout);
// the corpus, split and factors are the work folder's, the same for all seeds.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agf/train/grid.h"
#include "util/text_table.h"

namespace agf {

// ---- Statistics

struct MeanStd {
  double mean = 0, std = 0;  // std: sample standard deviation (n - 1); NaN when n < 2
  int n = 0;
};
MeanStd mean_std(const std::vector<double>& v);  // NaN values skipped; n = 0 gives NaN mean

// Exact two-sided sign test: n_pos and n_neg non-zero differences (ties dropped before). p = min(1, 2 P(X <=
// min(n_pos, n_neg))) with X ~ Binomial(n_pos + n_neg, 1/2); 1 when there is no non-zero difference.
double sign_test_p(int n_pos, int n_neg);

// A paired comparison of case a against case b: loss_a[s][t], loss_b[s][t] are the per-track losses of
// track t under seed s (same tracks, same order, in every seed).
struct PairedComparison {
  std::string a, b;  // case names, filled by the caller
  int seeds = 0, tracks = 0;
  double mean_diff = 0;         // mean over seeds and tracks of loss_a - loss_b (negative: a is better)
  double seed_std = 0;          // sample std over seeds of the per-seed mean difference (NaN with one seed)
  double ci_lo = 0, ci_hi = 0;  // 95 % percentile interval of the bootstrap means
  double p_bootstrap = 1;       // two-sided, paired bootstrap over tracks (see .cpp)
  int resamples = 0;
  int tracks_a_better = 0, tracks_b_better = 0;  // per track, by the mean difference over seeds
  double p_sign = 1;                             // exact sign test over those tracks
};
// Throws ShapeError when the two sides' shapes differ or are empty. Deterministic for a given bootstrap_seed.
PairedComparison paired_compare(const std::vector<std::vector<double>>& loss_a,
                                const std::vector<std::vector<double>>& loss_b, int resamples = 10000,
                                uint64_t bootstrap_seed = 1);

// Per-track log loss of a transfer folder's predictions.csv (track_id, label, predicted, one probability
// column per genre): -ln p(label), p clipped to [eps, 1 - eps] as metrics.h's log_loss. Throws FormatError
// naming the file and line on a malformed file.
struct TrackLosses {
  std::vector<int64_t> track_ids;
  std::vector<double> loss;
};
TrackLosses load_track_losses(const std::string& predictions_csv);

// ---- Several seeds of one grid

std::string seed_dir(const std::string& out_dir, uint64_t seed);  // OUT/seed-S

struct SeedCell {
  std::string case_name;
  MeanStd log_loss, f1, accuracy;
};

struct SeedsSummary {
  std::vector<uint64_t> seeds;
  std::vector<std::vector<CaseResult>> per_seed;  // [i]: seed seeds[i]'s results.csv
  std::vector<SeedCell> cells;                    // every case some seed finished, in order of appearance
  std::vector<CaseResult> means;                  // per case, the means over its seeds (same order as cells)
  std::vector<PairedComparison> comparisons;      // the pairs of kComparisons both of whose cases exist
  std::string finding;                            // one sentence ("" when no pair exists)
};

// The pairs compared (a against b): stn-gsedm vs stn-g (do the artist factors help the genre task?),
// mtn-gsedm vs stn-gsedm and mtn-gs vs stn-gs (MTN against STN). The finding is about the first present.
struct ComparisonPair {
  const char *a, *b;              // case names
  const char *a_label, *b_label;  // in the finding: "gsedm" / "g", "the MTN" / "the STN"
  const char* context;            // after b_label: " (STNs)", " on gsedm"
};
const std::vector<ComparisonPair>& comparison_pairs();

// Reads OUT/seed-S/results.csv and the cases' predictions.csv of every seed; a seed without results is kept
// (it contributes nothing). Throws FormatError when two seeds' or two cases' predictions cover different
// tracks.
SeedsSummary summarise_seeds(const std::string& out_dir, const std::vector<uint64_t>& seeds);

// Table 4 with "mean ± std" cells: the best mean per number of tasks and column in bold, and "(ns)" after a
// cell whose difference from that best is smaller than the larger of the two standard deviations.
// The same as data (text_table.h), for the HTML report; the *_markdown functions are to_markdown of these.
TextTable table4_seeds_table(const SeedsSummary& s, bool skip_empty_rows = true);
std::string table4_seeds_markdown(const SeedsSummary& s, bool skip_empty_rows = true);
TextTable comparisons_table(const SeedsSummary& s);  // no rows when no pair of comparison_pairs() exists
std::string no_comparisons_text();                   // what stands instead of an empty comparisons table
std::string comparisons_markdown(const SeedsSummary& s);
// results.md of a several-seed folder (protocol paragraph and baseline appended by the caller).
std::string seeds_results_markdown(const SeedsSummary& s);

// The finding of one seed: the first pair of comparison_pairs() present in results, its two log losses, and
// that one seed cannot tell, with how to run more (rerun_hint, e.g. "agf demo --seeds 1,2,3"). "" when no
// pair is present.
std::string one_seed_finding(const std::vector<CaseResult>& results, const std::string& rerun_hint);

}  // namespace agf
