// Results over several seeds (seeds.h, experiment --seeds): the statistics on hand-computable cases, the
// per-track losses of predictions.csv, the mean ± std table, and a 2-seed tiny grid end to end (both seeds'
// results, mean ± std equal to the per-seed rows', different nets per seed, finished (case, seed) pairs
// skipped on a rerun, one- and several-seed folders kept apart).
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "agf/train/experiment.h"
#include "agf/train/seeds.h"
#include "util/error.h"
#include "util/fs.h"
#include "engine/safetensors.h"
#include "../tiny_work.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

TEST(SeedStats, MeanAndSampleStd) {
  const MeanStd m = mean_std({1, 2, 3, 4});
  EXPECT_EQ(m.n, 4);
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_NEAR(m.std, std::sqrt(5.0 / 3.0), 1e-15);  // sum of squares 5, n - 1 = 3
  const MeanStd one = mean_std({0.7});
  EXPECT_DOUBLE_EQ(one.mean, 0.7);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_TRUE(std::isnan(mean_std({}).mean));
}

TEST(SeedStats, SignTestIsTheExactBinomialTail) {
  // n = 5 all one way: 2 / 2^5.
  EXPECT_NEAR(sign_test_p(0, 5), 2.0 / 32, 1e-15);
  EXPECT_NEAR(sign_test_p(5, 0), 2.0 / 32, 1e-15);
  // 1 of 5: 2 (C(5,0) + C(5,1)) / 32 = 12 / 32.
  EXPECT_NEAR(sign_test_p(1, 4), 12.0 / 32, 1e-15);
  // 2 of 10: 2 (1 + 10 + 45) / 1024.
  EXPECT_NEAR(sign_test_p(8, 2), 112.0 / 1024, 1e-14);
  // balanced: capped at 1; nothing to count: 1.
  EXPECT_DOUBLE_EQ(sign_test_p(3, 3), 1.0);
  EXPECT_DOUBLE_EQ(sign_test_p(0, 0), 1.0);
  // many tracks stay finite: 0 of 2000 is 2^-1999, below double's range but not NaN.
  EXPECT_GE(sign_test_p(0, 2000), 0.0);
  EXPECT_LT(sign_test_p(0, 2000), 1e-300);
  EXPECT_THROW(sign_test_p(-1, 2), UsageError);
}

// Two seeds x 6 tracks where a is better on 5 tracks by seed-varying amounts.
void two_sides(std::vector<std::vector<double>>* a, std::vector<std::vector<double>>* b) {
  *b = {{1.0, 0.8, 1.2, 0.9, 1.1, 0.7}, {1.1, 0.7, 1.3, 0.8, 1.0, 0.9}};
  *a = {{0.9, 0.7, 1.0, 0.85, 1.15, 0.6}, {1.0, 0.65, 1.1, 0.7, 1.05, 0.8}};
}

TEST(SeedStats, PairedComparisonByHand) {
  std::vector<std::vector<double>> a, b;
  two_sides(&a, &b);
  const PairedComparison c = paired_compare(a, b, 2000, 3);
  EXPECT_EQ(c.seeds, 2);
  EXPECT_EQ(c.tracks, 6);
  // seed 0 differences: -0.1 -0.1 -0.2 -0.05 +0.05 -0.1 (mean -0.5/6); seed 1: -0.1 -0.05 -0.2 -0.1 +0.05 -0.1
  // (mean -0.5/6). Per track (mean over seeds): -0.1 -0.075 -0.2 -0.075 +0.05 -0.1.
  EXPECT_NEAR(c.mean_diff, -0.5 / 6, 1e-12);
  EXPECT_NEAR(c.seed_std, 0.0, 1e-12);
  EXPECT_EQ(c.tracks_a_better, 5);
  EXPECT_EQ(c.tracks_b_better, 1);
  EXPECT_NEAR(c.p_sign, 14.0 / 64, 1e-14);  // 2 (1 + 6) / 2^6
  EXPECT_LT(c.ci_hi, 0.0);                  // the interval excludes 0
  EXPECT_GT(c.ci_lo, -0.2);
  EXPECT_LT(c.p_bootstrap, 0.05);
  EXPECT_GT(c.p_bootstrap, 0.0);
  // deterministic for one bootstrap seed
  EXPECT_EQ(paired_compare(a, b, 2000, 3).p_bootstrap, c.p_bootstrap);
}

TEST(SeedStats, SwappingTheSidesFlipsTheEffect) {
  std::vector<std::vector<double>> a, b;
  two_sides(&a, &b);
  const PairedComparison ab = paired_compare(a, b, 1000, 7), ba = paired_compare(b, a, 1000, 7);
  EXPECT_LT(ab.mean_diff, 0);
  EXPECT_DOUBLE_EQ(ba.mean_diff, -ab.mean_diff);
  EXPECT_NEAR(ba.ci_lo, -ab.ci_hi, 1e-12);
  EXPECT_NEAR(ba.ci_hi, -ab.ci_lo, 1e-12);
  EXPECT_DOUBLE_EQ(ba.p_bootstrap, ab.p_bootstrap);
  EXPECT_EQ(ba.tracks_a_better, ab.tracks_b_better);
  EXPECT_EQ(ba.tracks_b_better, ab.tracks_a_better);
  EXPECT_DOUBLE_EQ(ba.p_sign, ab.p_sign);
}

TEST(SeedStats, EqualSidesAreNotDifferent) {
  std::vector<std::vector<double>> a, b;
  two_sides(&a, &b);
  const PairedComparison c = paired_compare(b, b, 500, 1);
  EXPECT_EQ(c.mean_diff, 0.0);
  EXPECT_DOUBLE_EQ(c.p_bootstrap, 1.0);
  EXPECT_DOUBLE_EQ(c.p_sign, 1.0);
  EXPECT_THROW(paired_compare(a, {b[0]}, 10, 1), ShapeError);
  EXPECT_THROW(paired_compare({{1, 2}}, {{1}}, 10, 1), ShapeError);
}

TEST(SeedStats, TrackLossesFromPredictions) {
  const testing_util::TempDir tmp("seeds_pred");
  const fs::path dir = tmp.path();
  const std::string p = (dir / "predictions.csv").string();
  write_file_atomic(p, std::string("track_id,label,predicted,Rock,Pop\n3,Rock,Rock,0.8,0.2\n7,Pop,Rock,0.75,0.25\n"
                                   "9,Pop,Pop,0,1\n"));
  const TrackLosses t = load_track_losses(p);
  ASSERT_EQ(t.loss.size(), 3u);
  EXPECT_EQ(t.track_ids, (std::vector<int64_t>{3, 7, 9}));
  EXPECT_NEAR(t.loss[0], -std::log(0.8), 1e-12);
  EXPECT_NEAR(t.loss[1], -std::log(0.25), 1e-12);
  EXPECT_NEAR(t.loss[2], -std::log(1.0 - std::numeric_limits<double>::epsilon()), 1e-15);  // clipped as log_loss
  write_file_atomic(p, std::string("track_id,label,predicted,Rock,Pop\n3,Rock,Rock,0.8,0.2\n7,Jazz,Rock,0.75,0.25\n"));
  try {
    load_track_losses(p);
    FAIL() << "an unknown label was accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(p + ":3"), std::string::npos) << e.what();
  }
  write_file_atomic(p, std::string("track_id,label,predicted,Rock,Pop\n3,Rock,Rock,0.8\n"));
  EXPECT_THROW(load_track_losses(p), FormatError);
}

SeedsSummary hand_summary() {
  SeedsSummary s;
  s.seeds = {1, 2, 3};
  SeedCell g{"stn-g", mean_std({0.9, 0.8, 1.0}), mean_std({0.5, 0.6, 0.55}), mean_std({0.6, 0.6, 0.6})};
  SeedCell m{"stn-m", mean_std({0.95, 0.75, 1.05}), mean_std({0.3, 0.31, 0.29}), mean_std({0.4, 0.4, 0.4})};
  SeedCell d{"stn-d", mean_std({1.5, 1.6, 1.7}), mean_std({0.2, 0.2, 0.2}), mean_std({0.3, 0.3, 0.3})};
  s.cells = {g, m, d};
  return s;
}

TEST(SeedTables, MeanPlusMinusStdAndNotSignificantMarks) {
  const std::string md = table4_seeds_markdown(hand_summary());
  // stn-g: log loss mean 0.9, std 0.1; the best of N = 1 in bold.
  EXPECT_NE(md.find("| g | **0.9000** ± 0.1000 | **0.5500** ± 0.0500 | N/A | N/A |"), std::string::npos) << md;
  // stn-m's log loss 0.9167 is within the spread (0.1528) of the best: not significant; its F1 is not.
  EXPECT_NE(md.find("| m | 0.9167 ± 0.1528 (ns) | 0.3000 ± 0.0100 | N/A | N/A |"), std::string::npos) << md;
  // stn-d is 0.7 worse than the best, far outside both spreads.
  EXPECT_NE(md.find("| d | 1.6000 ± 0.1000 | 0.2000 ± 0.0000 | N/A | N/A |"), std::string::npos) << md;
  // The same cells as data (the HTML report's table): the best mean bold, the rest plain.
  const TextTable t = table4_seeds_table(hand_summary());
  EXPECT_EQ(to_markdown(t), md);
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][1].strong, "0.9000");
  EXPECT_EQ(t.rows[0][1].text, " ± 0.1000");
  EXPECT_EQ(t.rows[1][1].strong, "");
  EXPECT_EQ(t.rows[1][1].text, "0.9167 ± 0.1528 (ns)");
}

TEST(SeedTables, OneSeedFindingSaysItCannotTell) {
  std::vector<CaseResult> rs = {make_result(make_case(Arch::stn, "g"), 0.61, 0.5, 0.6, 1, 1),
                                make_result(make_case(Arch::stn, "gsedm"), 0.55, 0.6, 0.7, 1, 1)};
  const std::string f = one_seed_finding(rs, "agf demo --seeds 1,2,3");
  EXPECT_NE(f.find("One seed cannot tell whether gsedm beats g"), std::string::npos) << f;
  EXPECT_NE(f.find("0.5500"), std::string::npos) << f;
  EXPECT_NE(f.find("`agf demo --seeds 1,2,3`"), std::string::npos) << f;
  EXPECT_EQ(one_seed_finding({rs[0]}, "x"), "");  // no pair to compare
}

// ---- A 2-seed tiny grid end to end.

class Seeds : public ::testing::Test {
 protected:
  static std::unique_ptr<testing_util::TempDir> tmp;  // removed in TearDownTestSuite
  static fs::path root;
  static std::string work;
  static void SetUpTestSuite() {
    tmp = std::make_unique<testing_util::TempDir>("seeds");
    root = tmp->path();
    work = testing_util::make_tiny_work(root.string(), 5, 3);
  }
  static void TearDownTestSuite() { tmp.reset(); }
  static ExperimentOptions tiny(const std::string& out) {
    ExperimentOptions o;
    o.work_dir = work;
    o.out_dir = (root / out).string();
    o.cases = {"stn-gs", "mtn-gs"};  // nets stn-g, stn-s, mtn-gs; the pair mtn-gs vs stn-gs
    o.stn_epochs = 1;
    o.mtn_epochs = 1;
    o.mlp_epochs = 1;
    o.mlp_epoch = "windows";
    o.batch = 8;
    o.device = "cpu";
    o.quiet = true;
    return o;
  }
};
std::unique_ptr<testing_util::TempDir> Seeds::tmp;
fs::path Seeds::root;
std::string Seeds::work;

std::string params_of(const std::string& run_dir) {
  SafetensorsFile f = SafetensorsFile::open(run_dir + "/checkpoint.safetensors");
  StView v = f.get("params");
  return std::string(static_cast<const char*>(v.data), v.nbytes);
}

TEST_F(Seeds, TwoSeedsGiveBothResultsTheirSpreadAndResume) {
  ExperimentOptions o = tiny("two");
  o.seeds = {1, 2};
  const ExperimentSummary s = run_experiment(o);
  EXPECT_EQ(s.ran, 4);
  EXPECT_EQ(s.skipped, 0);
  EXPECT_EQ(s.seeds, (std::vector<uint64_t>{1, 2}));
  // Both seeds' one-seed folders, each with both cases.
  const auto r1 = ResultsStore(o.out_dir + "/seed-1/results.csv").load();
  const auto r2 = ResultsStore(o.out_dir + "/seed-2/results.csv").load();
  ASSERT_EQ(r1.size(), 2u);
  ASSERT_EQ(r2.size(), 2u);
  EXPECT_TRUE(fs::exists(o.out_dir + "/seed-2/cases/mtn-gs/predictions.csv"));
  EXPECT_FALSE(fs::exists(o.out_dir + "/results.csv"));  // the top holds the summary, not a one-seed store
  // Different seeds train different nets (and so different results).
  EXPECT_TRUE(params_of(o.out_dir + "/seed-1/nets/stn-g") != params_of(o.out_dir + "/seed-2/nets/stn-g"));
  EXPECT_NE(find_result(r1, "stn-gs")->log_loss, find_result(r2, "stn-gs")->log_loss);
  // The summary's mean and sample std are those of the per-seed rows.
  const SeedsSummary ss = summarise_seeds(o.out_dir, {1, 2});
  ASSERT_EQ(ss.cells.size(), 2u);
  for (const SeedCell& c : ss.cells) {
    const double a = find_result(r1, c.case_name)->log_loss, b = find_result(r2, c.case_name)->log_loss;
    EXPECT_EQ(c.log_loss.n, 2);
    EXPECT_NEAR(c.log_loss.mean, (a + b) / 2, 1e-15) << c.case_name;
    EXPECT_NEAR(c.log_loss.std, std::fabs(a - b) / std::sqrt(2.0), 1e-15) << c.case_name;
    const double fa = find_result(r1, c.case_name)->f1, fb = find_result(r2, c.case_name)->f1;
    EXPECT_NEAR(c.f1.mean, (fa + fb) / 2, 1e-15) << c.case_name;
    EXPECT_NEAR(find_result(s.results, c.case_name)->log_loss, (a + b) / 2, 1e-15) << c.case_name;
  }
  // The paired comparison MTN vs STN on gs covers both seeds and every validation track; its mean difference is
  // the difference of the two cases' mean log losses (predictions.csv holds 6 significant digits).
  ASSERT_EQ(ss.comparisons.size(), 1u);
  const PairedComparison& c = ss.comparisons[0];
  EXPECT_EQ(c.a, "mtn-gs");
  EXPECT_EQ(c.b, "stn-gs");
  EXPECT_EQ(c.seeds, 2);
  EXPECT_EQ(c.tracks, int(load_track_losses(o.out_dir + "/seed-1/cases/stn-gs/predictions.csv").loss.size()));
  EXPECT_NEAR(c.mean_diff, find_result(s.results, "mtn-gs")->log_loss - find_result(s.results, "stn-gs")->log_loss,
              1e-4);
  // results.md: the mean ± std cell, the comparison and the finding; the report shows the same table.
  const std::string md = read_file_bytes(s.results_md);
  const SeedCell& sgs = ss.cells[0].case_name == "stn-gs" ? ss.cells[0] : ss.cells[1];
  const SeedCell& mgs = ss.cells[0].case_name == "stn-gs" ? ss.cells[1] : ss.cells[0];
  // One case per column: every cell is its group's best, so bold.
  char row[256], cell[64];
  std::snprintf(row, sizeof row, "| gs | **%.4f** ± %.4f | **%.4f** ± %.4f | **%.4f** ± %.4f | **%.4f** ± %.4f |",
                sgs.log_loss.mean, sgs.log_loss.std, sgs.f1.mean, sgs.f1.std, mgs.log_loss.mean, mgs.log_loss.std,
                mgs.f1.mean, mgs.f1.std);
  std::snprintf(cell, sizeof cell, "<b>%.4f</b> ± %.4f", sgs.log_loss.mean, sgs.log_loss.std);
  EXPECT_NE(md.find(row), std::string::npos) << row << "\n" << md;
  EXPECT_NE(md.find("| mtn-gs | stn-gs | 2 |"), std::string::npos) << md;
  EXPECT_FALSE(s.finding.empty());
  EXPECT_NE(s.finding.find("over 2 seeds"), std::string::npos) << s.finding;
  EXPECT_NE(md.find(s.finding), std::string::npos);
  EXPECT_NE(read_file_bytes(s.report_html).find(cell), std::string::npos);
  EXPECT_NE(read_file_bytes(o.out_dir + "/summary.csv").find("stn-gs,2,"), std::string::npos);
  // A rerun skips every finished (case, seed) pair and rewrites the same summary.
  const ExperimentSummary again = run_experiment(o);
  EXPECT_EQ(again.ran, 0);
  EXPECT_EQ(again.skipped, 4);
  EXPECT_EQ(read_file_bytes(again.results_md), md);
  // --report-only too.
  ExperimentSummary ro;
  write_experiment_report(work, o.out_dir, &ro);
  EXPECT_EQ(ro.seeds, s.seeds);
  EXPECT_EQ(ro.table4, s.table4);
  // Adding a seed runs only what it lacks; the summary then covers every seed run in the folder, and a cell
  // that fewer seeds finished says how many.
  ExperimentOptions more = o;
  more.seeds = {2, 3};
  more.cases = {"mtn-gs"};
  const ExperimentSummary m = run_experiment(more);
  EXPECT_EQ(m.ran, 1);
  EXPECT_EQ(m.skipped, 1);
  EXPECT_EQ(m.seeds, (std::vector<uint64_t>{1, 2, 3}));
  const SeedsSummary s3 = summarise_seeds(o.out_dir, m.seeds);
  for (const SeedCell& c : s3.cells) EXPECT_EQ(c.log_loss.n, c.case_name == "mtn-gs" ? 3 : 2) << c.case_name;
  EXPECT_NE(m.table4.find("[2 seeds]"), std::string::npos) << m.table4;
  // Other settings in the same folder are refused; so is a one-seed run there.
  ExperimentOptions other = o;
  other.mlp_epochs = 2;
  EXPECT_THROW(run_experiment(other), UsageError);
  ExperimentOptions one = o;
  one.seeds = {};
  EXPECT_THROW(run_experiment(one), UsageError);
  EXPECT_THROW(run_experiment([&] {
                 ExperimentOptions r = o;
                 r.seeds = {1, 1};
                 return r;
               }()),
               UsageError);
}

TEST_F(Seeds, OneSeedKeepsTheOneSeedLayout) {
  ExperimentOptions o = tiny("one");
  o.cases = {"stn-g"};
  o.seeds = {2};  // one value: the same as --seed 2, today's layout
  const ExperimentSummary s = run_experiment(o);
  EXPECT_EQ(s.ran, 1);
  EXPECT_TRUE(s.seeds.empty());
  EXPECT_TRUE(fs::exists(o.out_dir + "/results.csv"));
  EXPECT_FALSE(fs::exists(o.out_dir + "/seed-2"));
  EXPECT_FALSE(fs::exists(o.out_dir + "/seeds.json"));
  EXPECT_NE(read_file_bytes(o.out_dir + "/settings.json").find("\"seed\": 2"), std::string::npos);
  EXPECT_EQ(s.table4, table4_markdown(s.results, true));
  // A several-seed run is refused in a one-seed folder.
  o.seeds = {1, 2};
  EXPECT_THROW(run_experiment(o), UsageError);
}

}  // namespace
}  // namespace agf
