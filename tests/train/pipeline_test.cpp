// Training, transfer, evaluation, prediction and the experiment grid end to end on a tiny synthetic
// FMA-layout corpus (4 genres x 2 artists x 3 tracks of 3 s; factor s only, which needs no audio
// features): a resumed run ends bit-identical to an uninterrupted one, non-finite steps are skipped
// and stop the run without touching the last checkpoint, evaluate reproduces transfer's metrics,
// predict on an audio file agrees with evaluate on the same track, an interrupted grid resumes.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "agf/data/prepare.h"
#include "agf/data/synth.h"
#include "agf/factors/factors.h"
#include "agf/train/calibrate.h"
#include "agf/train/embed.h"
#include "agf/train/experiment.h"
#include "agf/train/jsonl.h"
#include "agf/train/library.h"
#include "agf/train/metrics.h"
#include "agf/train/predict.h"
#include "agf/train/trainer.h"
#include "../tiny_work.h"
#include "agf/train/transfer.h"
#include "util/fs.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

class Pipeline : public ::testing::Test {
 protected:
  static std::unique_ptr<testing_util::TempDir> tmp;  // removed in TearDownTestSuite
  static fs::path root;
  static std::string work, corpus;
  static void SetUpTestSuite() {
    tmp = std::make_unique<testing_util::TempDir>("pipeline");
    root = tmp->path();
    corpus = (root / "corpus").string();
    work = testing_util::make_tiny_work(root.string(), 3, 3);
  }
  static void TearDownTestSuite() { tmp.reset(); }

  static TrainOptions small(const std::string& arch, const std::string& tasks, const std::string& out) {
    return testing_util::tiny_train_options(work, (root / out).string(), arch, tasks, 4);
  }
};
std::unique_ptr<testing_util::TempDir> Pipeline::tmp;
fs::path Pipeline::root;
std::string Pipeline::work, Pipeline::corpus;

std::vector<nlohmann::json> records_without_time(const std::string& path) {
  std::vector<nlohmann::json> r = read_jsonl(path).records;
  for (auto& j : r) j.erase("seconds");
  return r;
}

TEST_F(Pipeline, ResumedRunEndsBitIdentical) {
  TrainOptions a = small("mtn", "gs", "resume_a");
  TrainSummary sa = run_train(a);
  ASSERT_TRUE(sa.finished);
  TrainOptions b = small("mtn", "gs", "resume_b");
  b.stop_after = 2;
  TrainSummary sb = run_train(b);
  EXPECT_FALSE(sb.finished);
  EXPECT_EQ(sb.epochs_done, 2);
  EXPECT_FALSE(fs::exists(b.run_dir + "/model.safetensors"));
  b.stop_after = 0;
  EXPECT_THROW(run_train(b), UsageError);  // the folder holds a run: --resume is required
  b.resume = true;
  TrainSummary sc = run_train(b);
  ASSERT_TRUE(sc.finished);
  EXPECT_EQ(sc.steps, sa.steps);
  EXPECT_EQ(read_file_bytes(a.run_dir + "/model.safetensors"), read_file_bytes(b.run_dir + "/model.safetensors"));
  // The checkpoints hold the same state (their metadata differ in wall-clock seconds, so compare tensors).
  {
    SafetensorsFile ca = SafetensorsFile::open(a.run_dir + "/checkpoint.safetensors");
    SafetensorsFile cb = SafetensorsFile::open(b.run_dir + "/checkpoint.safetensors");
    // An MTN keeps one optimizer per task: its moments are stored per task.
    for (const char* name : {"params", "adam_m.g", "adam_v.g", "adam_m.s", "adam_v.s"}) {
      StView va = ca.get(name), vb = cb.get(name);
      ASSERT_EQ(va.nbytes, vb.nbytes) << name;
      EXPECT_EQ(std::memcmp(va.data, vb.data, va.nbytes), 0) << name;
    }
    auto state = [](const SafetensorsFile& f) {
      nlohmann::json j = nlohmann::json::parse(f.metadata().at("state"));
      j.erase("seconds");
      return j;
    };
    EXPECT_EQ(state(ca), state(cb));
  }
  EXPECT_EQ(records_without_time(a.run_dir + "/train.jsonl"), records_without_time(b.run_dir + "/train.jsonl"));
  // A finished run resumes to nothing; another seed is refused.
  EXPECT_TRUE(run_train(b).already_finished);
  b.seed = 2;
  EXPECT_THROW(run_train(b), UsageError);
  // Both tasks were drawn, and the losses are finite.
  std::set<std::string> tasks;
  for (const auto& r : read_jsonl(a.run_dir + "/train.jsonl").records)
    for (auto it = r["train"].begin(); it != r["train"].end(); ++it) {
      tasks.insert(it.key());
      EXPECT_TRUE(std::isfinite(it.value().get<double>()));
    }
  EXPECT_EQ(tasks.size(), 2u);
}

TEST_F(Pipeline, NonFiniteStepIsSkipped) {
  TrainOptions o = small("stn", "g", "nan_once");
  o.nan_steps = {1};
  TrainSummary s = run_train(o);
  EXPECT_TRUE(s.finished);
  EXPECT_EQ(s.skipped_steps, 1);
  TrainOptions clean = small("stn", "g", "nan_never");
  TrainSummary sc = run_train(clean);
  EXPECT_EQ(sc.skipped_steps, 0);
  EXPECT_EQ(s.steps, sc.steps);
  // The skipped step changed nothing: batch-norm statistics were restored, Adam did not step, so the
  // two runs differ (the clean one took one more update) but the poisoned one holds only finite values.
  SafetensorsFile f = SafetensorsFile::open(o.run_dir + "/model.safetensors");
  for (const std::string& name : f.names()) {
    StView p = f.get(name);
    ASSERT_EQ(p.dtype, StDType::F32) << name;
    const float* v = static_cast<const float*>(p.data);
    for (size_t i = 0; i < p.nbytes / 4; ++i) ASSERT_TRUE(std::isfinite(v[i])) << name << " element " << i;
  }
  EXPECT_NE(read_file_bytes(o.run_dir + "/model.safetensors"), read_file_bytes(clean.run_dir + "/model.safetensors"));
}

TEST_F(Pipeline, NonFiniteStepsInARowStopAndKeepTheCheckpoint) {
  TrainOptions o = small("stn", "g", "nan_stop");
  o.epochs = 6;
  o.stop_after = 1;
  const int64_t steps_per_epoch = run_train(o).steps;
  ASSERT_GE(steps_per_epoch, 1);
  const std::string ck = read_file_bytes(o.run_dir + "/checkpoint.safetensors");
  o.resume = true;
  o.stop_after = 0;
  o.max_bad_steps = 3;
  for (int64_t k = 0; k < 3; ++k) o.nan_steps.insert(steps_per_epoch + k);
  EXPECT_THROW(run_train(o), NumericError);
  EXPECT_EQ(read_file_bytes(o.run_dir + "/checkpoint.safetensors"), ck);
  EXPECT_FALSE(fs::exists(o.run_dir + "/model.safetensors"));
}

TEST_F(Pipeline, TransferEvaluatePredictAgree) {
  TrainOptions g = small("stn", "g", "tr_g"), s = small("stn", "s", "tr_s");
  run_train(g);
  run_train(s);
  TransferOptions to;
  to.work_dir = work;
  to.out_dir = (root / "transfer").string();
  to.nets = {g.run_dir, s.run_dir};
  to.epochs = 3;
  to.batch = 8;
  to.device = "cpu";
  to.quiet = true;
  TransferResult r = run_transfer(to);
  EXPECT_EQ(r.feature_dim, 512);
  const Metrics& m = r.eval.metrics;
  ASSERT_GT(m.n, 0);
  EXPECT_TRUE(std::isfinite(m.log_loss));
  EXPECT_GE(m.macro_f1, 0.0);
  EXPECT_LE(m.macro_f1, 1.0);
  // A second transfer reads the cached features and gives the same model.
  const std::string first = read_file_bytes(r.model_path);
  TransferResult r2 = run_transfer(to);
  EXPECT_EQ(read_file_bytes(r2.model_path), first);
  EXPECT_EQ(r2.eval.metrics.log_loss, m.log_loss);

  EvaluateOptions eo;
  eo.model_dir = to.out_dir;
  eo.work_dir = work;
  eo.device = "cpu";
  eo.quiet = true;
  EvalResult e = run_evaluate(eo);
  EXPECT_EQ(e.track_ids, r.eval.track_ids);
  EXPECT_NEAR(e.metrics.log_loss, m.log_loss, 1e-6);
  EXPECT_EQ(e.metrics.accuracy, m.accuracy);

  // predict decodes the audio itself; the store holds float16 frames, which predict rounds the same way.
  Compute cpu = open_compute("cpu");
  TransferModel tm = load_transfer_model(to.out_dir, cpu);
  const int64_t id = e.track_ids[0];
  Prediction p = predict_file(tm, cpu, corpus + "/fma_audio/" + fma_audio_relpath(id, "wav"), tm.eval_hop);
  ASSERT_EQ(int(p.probs.size()), tm.genres);
  double sum = 0;
  for (int k = 0; k < tm.genres; ++k) {
    sum += p.probs[size_t(k)];
    EXPECT_NEAR(p.probs[size_t(k)], e.probs[size_t(k)], 1e-4) << "genre " << k;
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
  EXPECT_THROW(predict_file(tm, cpu, (root / "missing.wav").string(), 10), IOError);

  // agf embed gives the features transfer computed for that track from the mel store (its windows at the
  // evaluation hop, each net's block in the model's order).
  {
    EmbedOptions eo;
    eo.model_dir = to.out_dir;
    eo.paths = {corpus + "/fma_audio/" + fma_audio_relpath(id, "wav")};
    eo.out = (root / "embed.safetensors").string();
    eo.windows = true;
    eo.device = "cpu";
    eo.quiet = true;
    ASSERT_EQ(run_embed(eo).embedded, 1);
    SafetensorsFile f = SafetensorsFile::open(eo.out);
    const StView wf = f.get("window_features");
    WorkData w = load_work(work, "g");
    const int64_t si = w.store.index_of(id);
    const std::vector<Window> win = track_windows(w.store, {si}, tm.frames, tm.eval_hop, nullptr);
    ASSERT_EQ(wf.shape, (std::vector<int64_t>{int64_t(win.size()), tm.feature_dim}));
    const float* got = static_cast<const float*>(wf.data);
    int64_t off = 0;
    for (const std::string& run : to.nets) {
      SourceNet sn = load_source_net(run, cpu);
      const int64_t d = sn.feature_dim();
      const std::vector<float> ref = net_features(
          sn, cpu, int64_t(win.size()), w.store.n_mels(), tm.frames,
          [&](int64_t i0, int n, float* x) { fill_windows(w.store, win.data() + i0, n, tm.frames, x); }, nullptr);
      double worst = 0;
      for (size_t j = 0; j < win.size(); ++j)
        for (int64_t k = 0; k < d; ++k)
          worst = std::max(worst, double(std::fabs(got[j * size_t(tm.feature_dim) + size_t(off + k)] -
                                                   ref[j * size_t(d) + size_t(k)])));
      EXPECT_LT(worst, 1e-5) << run << ": embed vs the transfer's store features";
      off += d;
    }
  }

  // A folder whose net was made with other feature parameters is refused, naming the file.
  const std::string net0 = to.out_dir + "/nets/0.safetensors";
  LoadedNet ln = load_net(net0, cpu);
  std::string params = ln.metadata.at("mel_params");
  params.replace(params.find("\"n_fft\":1024"), 12, "\"n_fft\":2048");
  ln.metadata["mel_params"] = params;
  save_net(net0, *ln.net, ln.metadata);
  try {
    load_transfer_model(to.out_dir, cpu);
    FAIL() << "a mismatched net was accepted";
  } catch (const UsageError& err) {
    EXPECT_NE(std::string(err.what()).find("0.safetensors"), std::string::npos) << err.what();
  }
}

// --calibrate: T is fitted on held-out training tracks only (a validation label flipped leaves it
// unchanged), stored in the model, and applied by predict (softmax(logits / T) averaged over windows);
// a model without "temperature" in its metadata (an older one) predicts with the plain softmax.
TEST_F(Pipeline, CalibrateFitsOnTrainingTracksAndPredictAppliesIt) {
  TrainOptions g = small("stn", "g", "cal_g");
  g.epochs = 2;
  run_train(g);
  TransferOptions to;
  to.work_dir = work;
  to.out_dir = (root / "cal_transfer").string();
  to.nets = {g.run_dir};
  to.epochs = 20;
  to.batch = 8;
  to.device = "cpu";
  to.quiet = true;
  to.calibrate = true;
  to.calibrate_fraction = 0.3;
  const TransferResult r = run_transfer(to);
  ASSERT_TRUE(r.eval.calibrated);
  EXPECT_GT(r.eval.held_out_tracks, 0);
  EXPECT_LE(r.eval.held_out_log_loss, r.eval.held_out_log_loss_raw);
  const double T = r.eval.temperature;
  ASSERT_NE(T, 1.0);
  EXPECT_TRUE(fs::exists(to.out_dir + "/reliability.svg"));
  const nlohmann::json mj = nlohmann::json::parse(read_file_bytes(to.out_dir + "/metrics.json"));
  EXPECT_EQ(mj.at("calibration").at("temperature").get<double>(), T);
  EXPECT_NEAR(mj.at("calibration").at("log_loss_raw").get<double>(), r.eval.raw.log_loss, 1e-12);

  // A copy of the work folder whose metadata gives one validation track another genre.
  const std::string work2 = (root / "cal_work").string(), meta2 = (root / "cal_meta").string();
  fs::copy(work, work2, fs::copy_options::recursive);
  fs::copy(corpus + "/fma_metadata", meta2, fs::copy_options::recursive);
  nlohmann::json ds = nlohmann::json::parse(read_file_bytes(work2 + "/dataset.json"));
  ds["metadata_dir"] = meta2;
  write_file_atomic(work2 + "/dataset.json", ds.dump());
  {
    const std::string id = std::to_string(r.eval.track_ids[0]);
    const std::vector<std::string> names = top_genre_names();
    const std::string from = "," + names[size_t(r.eval.labels[0])] + ",";
    const std::string into = "," + names[size_t((r.eval.labels[0] + 1) % 4)] + ",";
    // Rows span lines (quoted multi-line fields): the row ends where the next track's row starts.
    std::string csv = read_file_bytes(meta2 + "/tracks.csv");
    const size_t at = csv.find("\n" + id + ",");
    ASSERT_NE(at, std::string::npos);
    size_t end = csv.size();
    const WorkData wd = load_work(work, "g");
    for (int64_t i = 0; i < wd.store.num_tracks(); ++i) {
      const size_t q = csv.find("\n" + std::to_string(wd.store.track_id(i)) + ",", at + 1);
      if (q != std::string::npos) end = std::min(end, q);
    }
    const size_t f = csv.find(from, at);
    ASSERT_LT(f, end) << csv.substr(at, end - at);
    csv.replace(f, from.size(), into);
    write_file_atomic(meta2 + "/tracks.csv", csv);
  }
  TransferOptions to2 = to;
  to2.work_dir = work2;
  to2.out_dir = (root / "cal_transfer2").string();
  const TransferResult r2 = run_transfer(to2);
  ASSERT_EQ(r2.eval.track_ids, r.eval.track_ids);
  ASSERT_NE(r2.eval.labels[0], r.eval.labels[0]) << "the edit did not reach the labels";
  EXPECT_EQ(r2.eval.temperature, T) << "a validation label changed the fitted temperature";

  // predict applies the stored T: probabilities = mean over windows of softmax(logits / T).
  Compute cpu = open_compute("cpu");
  const std::string wav = corpus + "/fma_audio/" + fma_audio_relpath(r.eval.track_ids[0], "wav");
  auto predict_and_reference = [&](const TransferModel& tm, double t) {
    LibraryOptions lo;
    lo.threads = 1;
    lo.quiet = true;
    lo.window_features = true;
    TrackResult got;
    run_library(tm, cpu, {wav}, lo, [&](const TrackResult& x) { got = x; });
    const int K = tm.genres;
    const int64_t nw = int64_t(got.window_features.size()) / tm.feature_dim;
    const std::vector<float> z = mlp_logits(*tm.mlp, cpu, got.window_features, nw, tm.feature_dim, 64);
    std::vector<float> p(z.size()), ref(size_t(K), 0.f);
    softmax_rows(p.data(), z.data(), nw, K, t);
    average_per_track(ref.data(), p.data(), std::vector<int>(size_t(nw), 0), 1, K);
    return std::make_pair(got.probs, ref);
  };
  const TransferModel tm = load_transfer_model(to.out_dir, cpu);
  EXPECT_EQ(tm.temperature, T);
  const auto [pc, refc] = predict_and_reference(tm, T);
  const auto [pc1, ref1] = predict_and_reference(tm, 1.0);
  (void)pc1;
  double gap = 0;
  for (int k = 0; k < tm.genres; ++k) {
    EXPECT_NEAR(pc[size_t(k)], refc[size_t(k)], 1e-6) << "genre " << k;
    gap = std::max(gap, double(std::fabs(refc[size_t(k)] - ref1[size_t(k)])));
  }
  EXPECT_GT(gap, 1e-4) << "T too close to 1 for the check to mean anything";
  EXPECT_EQ(predict_file(tm, cpu, wav, tm.eval_hop).probs, pc);

  // An older model (no "temperature"): loads as T = 1 and predicts with the plain device softmax.
  LoadedNet ln = load_net(tm.path, cpu);
  nlohmann::json tj = nlohmann::json::parse(ln.metadata.at("transfer"));
  tj.erase("temperature");
  tj.erase("calibration");
  ln.metadata["transfer"] = tj.dump();
  save_net(tm.path, *ln.net, ln.metadata);
  const TransferModel old = load_transfer_model(to.out_dir, cpu);
  EXPECT_EQ(old.temperature, 1.0);
  LibraryOptions lo;
  lo.threads = 1;
  lo.quiet = true;
  lo.window_features = true;
  TrackResult got;
  run_library(old, cpu, {wav}, lo, [&](const TrackResult& x) { got = x; });
  const int64_t nw = int64_t(got.window_features.size()) / old.feature_dim;
  const std::vector<float> wp = mlp_probs(*old.mlp, cpu, got.window_features, nw, old.feature_dim, 256);
  std::vector<float> ref(size_t(old.genres));
  average_per_track(ref.data(), wp.data(), std::vector<int>(size_t(nw), 0), 1, old.genres);
  EXPECT_EQ(got.probs, ref);
  for (int k = 0; k < old.genres; ++k) EXPECT_NEAR(got.probs[size_t(k)], ref1[size_t(k)], 1e-5);
  EvaluateOptions eo;
  eo.model_dir = to.out_dir;
  eo.work_dir = work;
  eo.device = "cpu";
  eo.quiet = true;
  const EvalResult e = run_evaluate(eo);
  EXPECT_FALSE(e.calibrated);
  EXPECT_NEAR(e.metrics.log_loss, r.eval.raw.log_loss, 1e-6);
}

TEST_F(Pipeline, ExperimentResumesAndReports) {
  ExperimentOptions o;
  o.work_dir = work;
  o.out_dir = (root / "experiment").string();
  o.cases = {"stn-g", "mtn-gs"};
  o.stn_epochs = 2;
  o.mtn_epochs = 2;
  o.mlp_epochs = 2;
  o.batch = 8;
  o.device = "cpu";
  o.quiet = true;
  ExperimentSummary s = run_experiment(o);
  EXPECT_EQ(s.ran, 2);
  ASSERT_EQ(s.results.size(), 2u);
  ExperimentSummary again = run_experiment(o);
  EXPECT_EQ(again.ran, 0);
  EXPECT_EQ(again.skipped, 2);
  const std::string html = read_file_bytes(s.report_html);
  EXPECT_NE(html.find("stn-g"), std::string::npos);
  EXPECT_NE(html.find("mtn-gs"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // opens with no network
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_NE(read_file_bytes(s.results_md).find("| gs |"), std::string::npos);
  // Other settings in the same folder are refused rather than mixed into the tables.
  o.stn_epochs = 3;
  EXPECT_THROW(run_experiment(o), UsageError);
}

// The trainer's recorded-step path (the default on both devices) against --no-graph, bit for bit: STN, an MTN
// whose tasks alternate per batch (two graphs on one arena, validation passes between epochs, short last
// batches eager), and a non-finite step undone inside the graph path. Named GraphLifecycle.* with the engine's
// lifecycle tests (tests/layers/graph_lifecycle_test.cpp).
using GraphLifecycle = Pipeline;

void expect_same_run(const TrainSummary& a, const TrainSummary& b) {
  ASSERT_TRUE(a.finished && b.finished);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.skipped_steps, b.skipped_steps);
  EXPECT_EQ(read_file_bytes(a.model_path), read_file_bytes(b.model_path)) << a.run_dir << " vs " << b.run_dir;
  EXPECT_EQ(records_without_time(a.run_dir + "/train.jsonl"), records_without_time(b.run_dir + "/train.jsonl"));
}

TEST_F(GraphLifecycle, TrainerGraphEqualsEagerStn) {
  TrainOptions g = small("stn", "g", "lc_stn_graph"), e = small("stn", "g", "lc_stn_eager");
  e.graph = false;
  expect_same_run(run_train(g), run_train(e));
}

TEST_F(GraphLifecycle, TrainerGraphEqualsEagerMtnAlternatingTasks) {
  TrainOptions g = small("mtn", "gs", "lc_mtn_graph"), e = small("mtn", "gs", "lc_mtn_eager");
  g.task_draw = e.task_draw = "batch";
  e.graph = false;
  TrainSummary sg = run_train(g), se = run_train(e);
  expect_same_run(sg, se);
  // Both tasks stepped, each with its own optimizer: the step counts add up to the steps taken.
  nlohmann::json st =
      nlohmann::json::parse(SafetensorsFile::open(sg.run_dir + "/checkpoint.safetensors").metadata().at("state"));
  ASSERT_TRUE(st["adam_t"].is_object());
  EXPECT_GT(st["adam_t"]["g"].get<int64_t>(), 0);
  EXPECT_GT(st["adam_t"]["s"].get<int64_t>(), 0);
  EXPECT_EQ(st["adam_t"]["g"].get<int64_t>() + st["adam_t"]["s"].get<int64_t>(), sg.steps);
}

TEST_F(GraphLifecycle, TrainerGraphUndoesANonFiniteStepLikeEager) {
  TrainOptions g = small("stn", "g", "lc_nan_graph"), e = small("stn", "g", "lc_nan_eager");
  g.nan_steps = e.nan_steps = {0, 3};  // the graph's own warm-up step, and a replay
  e.graph = false;
  TrainSummary sg = run_train(g), se = run_train(e);
  EXPECT_EQ(sg.skipped_steps, 2);
  expect_same_run(sg, se);
}

}  // namespace
}  // namespace agf
