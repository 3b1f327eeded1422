// agf experiment --plan (agf/train/plan.h): the step and forward arithmetic on a small grid with injected step
// times (every number checked by hand below), shared nets counted once, seeds multiplying the work, the list
// schedule on two devices, the counts against what the trainer and the transfer really do on a tiny work
// folder, and the command itself: it prints every case and writes nothing into OUT or WORK.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "../tiny_work.h"
#include "agf/train/plan.h"
#include "agf/train/rng.h"
#include "agf/train/trainer.h"
#include "agf/train/transfer.h"
#include "util/error.h"
#include "util/fs.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

// 20 labelled training tracks (17 with an s target), 5 validation tracks (4 with s); batch 8.
PlanCorpus small_corpus() {
  PlanCorpus c;
  c.source = "test";
  c.train_tracks = 20;
  c.valid_tracks = 5;
  c.train_targets = {{'g', 20}, {'s', 17}};
  c.valid_targets = {{'g', 5}, {'s', 4}};
  c.train_windows = 60;
  c.train_eval_windows = 140;
  c.eval_windows = 35;
  return c;
}

ExperimentOptions small_options() {
  ExperimentOptions o;
  o.work_dir = "unused";
  o.stn_epochs = 3;
  o.mtn_epochs = 4;
  o.mlp_epochs = 2;
  o.batch = 8;
  o.mlp_epoch = "crops";
  o.seed = 1;
  return o;
}

std::vector<GridCase> small_grid() { return {parse_case("stn-gs"), parse_case("mtn-gs"), parse_case("wstn-2")}; }

PlanCalibration injected() {
  PlanCalibration c;
  c.device = "injected";
  c.batch = 8;
  const std::string wmlp = "mlp-" + std::to_string(plan_wstn_feature_dim(2));
  c.step = {{"stn", {1.0, 1}}, {"mtn-2", {2.0, 1}}, {"wstn-2", {3.0, 1}}, {"mlp-512", {0.5, 1}}, {wmlp, {0.25, 1}}};
  c.forward = {
      {"stn", {0.01, 1}}, {"mtn-2", {0.02, 1}}, {"wstn-2", {0.03, 1}}, {"mlp-512", {0.001, 1}}, {wmlp, {0.002, 1}}};
  return c;
}

const PlanJob& job(const Plan& p, const std::string& name) {
  for (const PlanJob& j : p.jobs)
    if (j.name == name) return j;
  throw std::runtime_error("no job " + name);
}

// The MTN's steps: the task of each epoch drawn as the trainer draws it, g's 3 batches or s's 2 (17 tracks:
// 8 + 8 and a last batch of 1, which is dropped).
int64_t mtn_gs_steps(uint64_t seed, int epochs) {
  const uint64_t rs = net_stream_seed(seed, Arch::mtn, "gs", 0);
  int64_t steps = 0;
  for (int e = 0; e < epochs; ++e)
    steps += philox_u32(derive_seed(rs, Stream::Task, uint64_t(e)), 0, 0) % 2 == 0 ? 3 : 2;
  return steps;
}

// Validation every 2nd epoch of 3: epochs 2 and 3 (the last always), as the trainer does.
TEST(Plan, ValidationEveryNthEpochAndTheLast) {
  ExperimentOptions o = small_options();
  o.val_every = 2;
  const Plan p = make_plan(o, small_grid(), small_corpus(), injected(), 1);
  EXPECT_EQ(job(p, "nets/stn-g").forwards, 2 * 5 + 75);
  EXPECT_EQ(job(p, "nets/stn-s").forwards, 2 * 4 + 75);
  EXPECT_EQ(job(p, "nets/wstn-2").forwards, 2 * 5);
}

TEST(Plan, StepsForwardsAndSecondsOfASmallGrid) {
  const Plan p = make_plan(small_options(), small_grid(), small_corpus(), injected(), 1);
  ASSERT_EQ(p.jobs.size(), 7u);  // nets stn-g, stn-s, mtn-gs, wstn-2, then the 3 cases
  // nets/stn-g: 3 epochs x 3 batches (8, 8, 4); validation 3 x 5; features 35 validation windows + 2 epochs x 20
  // crops = 75, counted once with the net.
  const PlanJob& g = job(p, "nets/stn-g");
  EXPECT_EQ(g.steps, 9);
  EXPECT_EQ(g.forwards, 15 + 75);
  EXPECT_DOUBLE_EQ(g.seconds, 9 * 1.0 + 90 * 0.01);
  // nets/stn-s: 17 tracks are 8 + 8 + 1, and a batch of one is dropped: 2 steps an epoch.
  const PlanJob& s = job(p, "nets/stn-s");
  EXPECT_EQ(s.steps, 6);
  EXPECT_EQ(s.forwards, 12 + 75);
  // nets/mtn-gs: one task an epoch; validation of both tasks every epoch (5 + 4).
  const PlanJob& m = job(p, "nets/mtn-gs");
  EXPECT_EQ(m.steps, mtn_gs_steps(1, 4));
  EXPECT_EQ(m.steps, 10);  // seed 1 draws s, g, s, g: 2 + 3 + 2 + 3
  EXPECT_EQ(m.forwards, 4 * 9);
  EXPECT_DOUBLE_EQ(m.seconds, 10 * 2.0 + 36 * 0.02);
  const PlanJob& w = job(p, "nets/wstn-2");
  EXPECT_EQ(w.steps, 9);
  EXPECT_EQ(w.forwards, 15);
  EXPECT_DOUBLE_EQ(w.seconds, 9 * 3.0 + 15 * 0.03);
  // The MLPs: 2 epochs x 3 batches of the 20 crops; per epoch 5 centre windows, then the 35 evaluation windows.
  const PlanJob& cs = job(p, "stn-gs");
  EXPECT_EQ(cs.steps, 6);
  EXPECT_EQ(cs.mlp_forwards, 2 * 5 + 35);
  EXPECT_EQ(cs.forwards, 0);  // its nets' features are with the nets
  EXPECT_DOUBLE_EQ(cs.seconds, 6 * 0.5 + 45 * 0.001);
  // An MTN case extracts its own features, both branches: 2 x 75.
  const PlanJob& cm = job(p, "mtn-gs");
  EXPECT_EQ(cm.forwards, 150);
  EXPECT_EQ(cm.forward_shape, "mtn-2");
  EXPECT_DOUBLE_EQ(cm.seconds, 6 * 0.5 + 45 * 0.001 + 150 * 0.02);
  const PlanJob& cw = job(p, "wstn-2");
  EXPECT_EQ(cw.forwards, 75);
  EXPECT_DOUBLE_EQ(cw.seconds, 6 * 0.25 + 45 * 0.002 + 75 * 0.03);
  EXPECT_EQ(p.total_steps, 9 + 6 + 10 + 9 + 3 * 6);
  EXPECT_EQ(p.total_forwards, 90 + 87 + 36 + 15 + 150 + 75);
  EXPECT_EQ(p.total_mlp_forwards, 3 * 45);
  double total = 0;
  for (const PlanJob& j : p.jobs) total += j.seconds;
  EXPECT_DOUBLE_EQ(p.total_s, total);
  EXPECT_DOUBLE_EQ(p.schedule.makespan_s, total);  // one device: one after the other
}

TEST(Plan, MlpEpochOfWindowsAndCalibrateChangeTheCounts) {
  ExperimentOptions o = small_options();
  o.mlp_epoch = "windows";  // 60 windows: 7 batches of 8 and one of 4 an epoch; features of them once
  Plan p = make_plan(o, small_grid(), small_corpus(), injected(), 1);
  EXPECT_EQ(job(p, "stn-gs").steps, 2 * 8);
  EXPECT_EQ(job(p, "nets/stn-g").forwards, 15 + 35 + 60);
  o = small_options();
  o.calibrate = true;  // 10 % of 20 tracks held out: 18 crops (3 batches); 14 of the 140 training eval windows
  o.calibrate_fraction = 0.1;
  p = make_plan(o, small_grid(), small_corpus(), injected(), 1);
  EXPECT_EQ(job(p, "stn-gs").steps, 2 * 3);
  EXPECT_EQ(job(p, "stn-gs").mlp_forwards, 2 * 5 + 35 + 35 + 14);  // evaluation raw and calibrated, held-out logits
  EXPECT_EQ(job(p, "nets/stn-g").forwards, 15 + 35 + 14 + 2 * 18);
}

TEST(Plan, SharedNetsAreCountedOnceAndCasesNeedThem) {
  const std::vector<GridCase> grid = {parse_case("stn-g"), parse_case("stn-gs"), parse_case("stn-s")};
  PlanCalibration cal = injected();
  cal.step["mlp-256"] = cal.forward["mlp-256"] = {1, 1};
  const Plan p = make_plan(small_options(), grid, small_corpus(), cal, 1);
  int nets = 0;
  for (const PlanJob& j : p.jobs) nets += j.kind == PlanJob::Kind::net;
  EXPECT_EQ(nets, 2);
  EXPECT_EQ(job(p, "stn-gs").needs, (std::vector<std::string>{"nets/stn-g", "nets/stn-s"}));
  EXPECT_EQ(job(p, "stn-g").needs, (std::vector<std::string>{"nets/stn-g"}));
  EXPECT_EQ(job(p, "nets/stn-g").used_by, (std::vector<std::string>{"stn-g", "stn-gs"}));
  EXPECT_EQ(p.total_steps, 9 + 6 + 3 * 6);
  EXPECT_EQ(plan_shapes(grid), (std::vector<std::string>{"stn", "mlp-256", "mlp-512"}));
}

TEST(Plan, SeedsMultiplyTheWork) {
  PlanCorpus c = small_corpus();
  c.train_targets['s'] = 20;  // every task the same batches: the MTN's draws do not change its steps
  c.valid_targets['s'] = 5;
  ExperimentOptions o = small_options();
  const Plan one = make_plan(o, small_grid(), c, injected(), 1);
  o.seeds = {1, 2};
  const Plan two = make_plan(o, small_grid(), c, injected(), 1);
  EXPECT_EQ(two.jobs.size(), 2 * one.jobs.size());
  EXPECT_EQ(two.total_steps, 2 * one.total_steps);
  EXPECT_EQ(two.total_forwards, 2 * one.total_forwards);
  EXPECT_DOUBLE_EQ(two.total_s, 2 * one.total_s);
  EXPECT_EQ(job(two, "stn-gs@2").needs, (std::vector<std::string>{"nets/stn-g@2", "nets/stn-s@2"}));
}

TEST(Plan, MissingCalibrationIsRefused) {
  PlanCalibration c = injected();
  c.step.erase("mtn-2");
  EXPECT_THROW(make_plan(small_options(), small_grid(), small_corpus(), c, 1), UsageError);
}

PlanJob fake(const std::string& name, bool net, double s, std::vector<std::string> needs = {}) {
  PlanJob j;
  j.kind = net ? PlanJob::Kind::net : PlanJob::Kind::mlp;
  j.name = name;
  j.seconds = s;
  j.needs = std::move(needs);
  return j;
}

TEST(Plan, ListScheduleOnTwoDevices) {
  // Nets a 5, b 3, c 2 (given shortest first: the schedule takes them longest first); case x needs a (1 s),
  // case y needs b and c (4 s). Device 0: a 0-5, x 5-6; device 1: b 0-3, c 3-5, y 5-9.
  const std::vector<PlanJob> jobs = {fake("c", true, 2), fake("b", true, 3), fake("a", true, 5),
                                     fake("x", false, 1, {"a"}), fake("y", false, 4, {"b", "c"})};
  const PlanSchedule s = plan_schedule(jobs, 2);
  EXPECT_DOUBLE_EQ(s.makespan_s, 9);
  EXPECT_EQ(s.device_of, (std::vector<int>{1, 1, 0, 0, 1}));
  EXPECT_EQ(s.start_s, (std::vector<double>{3, 0, 0, 5, 5}));
  EXPECT_DOUBLE_EQ(s.longest_chain_s, 7);  // y after b
  EXPECT_DOUBLE_EQ(s.lower_bound_s, 7.5);  // 15 s of work on 2 devices
  // A ready case goes before a net still waiting (as the workers pick jobs): nets a 4, b 3, c 1, case x needs b
  // (2 s). Device 0: a 0-4, c 4-5; device 1: b 0-3, x 3-5.
  const PlanSchedule first =
      plan_schedule({fake("a", true, 4), fake("b", true, 3), fake("c", true, 1), fake("x", false, 2, {"b"})}, 2);
  EXPECT_EQ(first.device_of, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(first.start_s, (std::vector<double>{0, 0, 4, 3}));
  EXPECT_DOUBLE_EQ(first.makespan_s, 5);
  const PlanSchedule one = plan_schedule(jobs, 1);
  EXPECT_DOUBLE_EQ(one.makespan_s, 15);
  EXPECT_THROW(plan_schedule({fake("x", false, 1, {"nothing"})}, 2), UsageError);
  EXPECT_THROW(plan_schedule({fake("x", true, 1), fake("x", false, 1)}, 2), UsageError);
}

TEST(Plan, FmaMediumCorpusIsThePapersSplitOfThirtySecondClips) {
  const PlanCorpus c = plan_fma_medium_corpus(43, 10);
  EXPECT_EQ(c.train_tracks, 21250);
  EXPECT_EQ(c.valid_tracks, 3750);
  EXPECT_EQ(c.frames_per_track, 1292);     // 1 + floor(30 x 22050 / 512)
  EXPECT_EQ(c.train_windows, 21250 * 30);  // (1292 - 43) / 43 + 1
  EXPECT_EQ(c.eval_windows, 3750 * 125);   // (1292 - 43) / 10 + 1
  EXPECT_EQ(plan_track_windows(42, 43, 10), 0);
  EXPECT_EQ(plan_track_windows(43, 43, 10), 1);
  PlanCorpus half = c;
  plan_override_tracks(&half, 10625, 0);
  EXPECT_EQ(half.train_tracks, 10625);
  EXPECT_EQ(half.train_windows, 10625 * 30);
  EXPECT_EQ(half.valid_tracks, 3750);
}

// ---- On a tiny work folder: the counts against the trainer and the transfer, and the command.

class PlanWork : public ::testing::Test {
 protected:
  static std::unique_ptr<testing_util::TempDir> tmp;  // removed in TearDownTestSuite
  static fs::path root;
  static std::string work;
  static void SetUpTestSuite() {
    tmp = std::make_unique<testing_util::TempDir>("plan");
    root = tmp->path();
    work = testing_util::make_tiny_work(root.string(), 7, 3);
  }
  static void TearDownTestSuite() { tmp.reset(); }
};
std::unique_ptr<testing_util::TempDir> PlanWork::tmp;
fs::path PlanWork::root;
std::string PlanWork::work;

TEST_F(PlanWork, StepsAndWindowsAreWhatTheTrainerAndTheTransferTake) {
  const PlanCorpus c = plan_work_corpus(work, "gs", 43, 10);
  ASSERT_GT(c.train_tracks, 8);
  ExperimentOptions o = small_options();
  o.work_dir = work;
  o.stn_epochs = 2;
  o.mtn_epochs = 3;
  o.mlp_epochs = 1;
  o.mlp_epoch = "windows";
  PlanCalibration cal = injected();
  cal.step["mlp-256"] = cal.forward["mlp-256"] = {1, 1};
  const Plan p = make_plan(o, {parse_case("stn-g"), parse_case("mtn-gs")}, c, cal, 1);
  const TrainSummary g = run_train(testing_util::tiny_train_options(work, (root / "g").string(), "stn", "g", 2));
  EXPECT_EQ(g.steps, job(p, "nets/stn-g").steps);
  const TrainSummary m = run_train(testing_util::tiny_train_options(work, (root / "m").string(), "mtn", "gs", 3));
  EXPECT_EQ(m.steps, job(p, "nets/mtn-gs").steps);
  TransferOptions to;
  to.work_dir = work;
  to.out_dir = (root / "t").string();
  to.nets = {g.run_dir};
  to.epochs = 1;
  to.batch = 8;
  to.mlp_epoch = "windows";
  to.device = "cpu";
  to.quiet = true;
  const TransferResult r = run_transfer(to);
  EXPECT_EQ(r.train_windows, c.train_windows);
  EXPECT_EQ(r.eval.windows, c.eval_windows);
  EXPECT_EQ(int64_t(r.eval.track_ids.size()), c.valid_tracks);
}

// Every file under `dir` with its size and modification time.
std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    s.insert(e.path().string() + " " + (e.is_regular_file() ? std::to_string(e.file_size()) : "dir") + " " +
             std::to_string(e.last_write_time().time_since_epoch().count()));
  return s;
}

TEST_F(PlanWork, CommandPrintsEveryCaseAndWritesNothing) {
  // OUT is left at its default, WORK/experiment, so that the listing of WORK covers it too.
  const std::string out = work + "/experiment", json = (root / "plan.json").string();
  const std::set<std::string> before = listing(work);
  const std::vector<std::string> cases = {"stn-g", "stn-s", "stn-gs", "mtn-gs", "wstn-2"};
  const std::string cmd = str(AGF_BINARY, " experiment --work ", work,
                              " --case stn-g,stn-s,stn-gs,mtn-gs,wstn-2 --plan --plan-devices 2 --plan-json ", json,
                              " --device cpu --quiet 2>&1");
  std::FILE* f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  const int rc = ::pclose(f);
  ASSERT_EQ(rc, 0) << text;
  for (const std::string& c : cases) EXPECT_NE(text.find("| " + c + " |"), std::string::npos) << c << "\n" << text;
  EXPECT_NE(text.find("| nets/stn-g | 2 cases"), std::string::npos) << text;
  EXPECT_NE(text.find("not a measurement of the grid"), std::string::npos) << text;
  EXPECT_NE(text.find("On 2 devices"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(listing(work), before);
  const nlohmann::json j = nlohmann::json::parse(read_file_bytes(json));
  EXPECT_EQ(j["jobs"].size(), 5u + 4u);  // the cases and nets stn-g, stn-s, mtn-gs, wstn-2
  EXPECT_EQ(j["schedule"]["devices"], 2);
  EXPECT_GT(j["totals"]["seconds"].get<double>(), 0);
}

}  // namespace
}  // namespace agf
