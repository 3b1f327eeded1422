// Protocol points of issue 12 on a tiny synthetic corpus (4 genres x 2 artists x 3 tracks of 3 s; factor s):
// nets of different cases draw independent random streams while one case and seed stays bit-identical; a
// run is not resumed on factors made another way;
// --mtn-epochs-per-task gives an N-task MTN N times the epochs; an MLP epoch of crops is one random 1-s
// crop per training track; the experiment refuses factors fitted another way than --factors-from says.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "agf/data/prepare.h"
#include "agf/data/split.h"
#include "agf/data/synth.h"
#include "agf/factors/factors.h"
#include "agf/train/experiment.h"
#include "agf/train/jsonl.h"
#include "agf/train/rng.h"
#include "agf/train/trainer.h"
#include "../tiny_work.h"
#include "agf/train/transfer.h"
#include "util/error.h"
#include "util/fs.h"
#include "engine/safetensors.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

class Protocol : public ::testing::Test {
 protected:
  static std::unique_ptr<testing_util::TempDir> tmp;  // removed in TearDownTestSuite
  static fs::path root;
  static std::string work;
  static void SetUpTestSuite() {
    tmp = std::make_unique<testing_util::TempDir>("protocol");
    root = tmp->path();
    work = testing_util::make_tiny_work(root.string(), 5, 3);
  }
  static void TearDownTestSuite() { tmp.reset(); }

  static TrainOptions small(const std::string& arch, const std::string& tasks, const std::string& out,
                            const std::string& w = work) {
    return testing_util::tiny_train_options(w, (root / out).string(), arch, tasks, 1);
  }
};
std::unique_ptr<testing_util::TempDir> Protocol::tmp;
fs::path Protocol::root;
std::string Protocol::work;

// Every parameter of a finished run, from its checkpoint's flat "params" (the model file holds one named
// tensor per parameter).
std::string params_of(const std::string& run_dir) {
  SafetensorsFile f = SafetensorsFile::open(run_dir + "/checkpoint.safetensors");
  StView v = f.get("params");
  return std::string(static_cast<const char*>(v.data), v.nbytes);
}

TEST(NetStreams, EveryCaseOfTheGridHasItsOwnSeed) {
  std::set<uint64_t> seen;
  for (const char* t : {"g", "m", "d", "e", "s"})
    EXPECT_TRUE(seen.insert(net_stream_seed(1, Arch::stn, t, 0)).second) << t;
  for (const char* t : {"gs", "gm", "gsedm", "ms"})
    EXPECT_TRUE(seen.insert(net_stream_seed(1, Arch::mtn, t, 0)).second) << t;
  for (int m = 2; m <= 5; ++m) EXPECT_TRUE(seen.insert(net_stream_seed(1, Arch::wstn, "g", m)).second) << m;
  EXPECT_NE(net_stream_seed(1, Arch::stn, "g", 0), net_stream_seed(2, Arch::stn, "g", 0));
  EXPECT_EQ(net_stream_seed(7, Arch::mtn, "gs", 0), net_stream_seed(7, Arch::mtn, "gs", 0));
  // the match only keys a wSTN
  EXPECT_EQ(net_stream_seed(1, Arch::stn, "g", 0), net_stream_seed(1, Arch::stn, "g", 3));
}

// Two STNs whose targets are identical (the s factor copied as m) can only differ through their random
// streams: keyed by the case, they differ; keyed by the seed alone (--shared-streams), they are the same
// net. One case and seed trained twice is bit-identical.
TEST_F(Protocol, NetsOfDifferentCasesAreIndependent) {
  const std::string twin = (root / "work_twin").string();
  fs::copy(work, twin, fs::copy_options::recursive);
  fs::copy_file(twin + "/factors/s.safetensors", twin + "/factors/m.safetensors");
  TrainOptions s = small("stn", "s", "ind_s", twin), m = small("stn", "m", "ind_m", twin);
  ASSERT_TRUE(run_train(s).finished);
  ASSERT_TRUE(run_train(m).finished);
  EXPECT_NE(params_of(s.run_dir), params_of(m.run_dir));
  TrainOptions s2 = small("stn", "s", "ind_s2", twin);
  run_train(s2);
  EXPECT_EQ(params_of(s.run_dir), params_of(s2.run_dir));
  TrainOptions ss = small("stn", "s", "shared_s", twin), sm = small("stn", "m", "shared_m", twin);
  ss.shared_streams = sm.shared_streams = true;
  run_train(ss);
  run_train(sm);
  EXPECT_EQ(params_of(ss.run_dir), params_of(sm.run_dir));
  EXPECT_NE(params_of(ss.run_dir), params_of(s.run_dir));
  // a checkpoint made with the other streams is not resumed
  ss.resume = true;
  ss.epochs = 2;
  ss.shared_streams = false;
  EXPECT_THROW(run_train(ss), UsageError);
}

// A run records how its factor targets were made (factors_from, n_mfcc, seed, ...): resuming it on factors
// recomputed another way is refused, naming the setting.
TEST_F(Protocol, ResumeOnOtherFactorsIsRefused) {
  const std::string twin = (root / "work_refit").string();
  fs::copy(work, twin, fs::copy_options::recursive);
  TrainOptions s = small("stn", "s", "refit_s", twin);
  s.epochs = 2;
  s.stop_after = 1;
  run_train(s);
  FactorsOptions fo;
  fo.work_dir = twin;
  fo.kinds = "s";
  fo.topics = 4;
  fo.factors_from = "train";
  fo.verbose = false;
  compute_factors(fo);
  s.stop_after = 0;
  s.resume = true;
  try {
    run_train(s);
    FAIL() << "resumed on refitted factors";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("factors"), std::string::npos) << e.what();
  }
}

TEST_F(Protocol, MtnEpochsPerTaskScaleWithTheTasks) {
  ExperimentOptions o;
  o.work_dir = work;
  o.out_dir = (root / "exp_per_task").string();
  o.cases = {"mtn-gs"};
  o.stn_epochs = 1;
  o.mtn_epochs_per_task = 2;
  o.mlp_epochs = 1;
  o.batch = 8;
  o.device = "cpu";
  o.quiet = true;
  ExperimentSummary s = run_experiment(o);
  ASSERT_EQ(s.results.size(), 1u);
  EXPECT_EQ(s.results[0].epochs, 4);  // 2 x 2 tasks
  EXPECT_EQ(read_jsonl(o.out_dir + "/nets/mtn-gs/train.jsonl").records.size(), 4u);
  EXPECT_NE(s.protocol.find("MTN 2 x the number of tasks"), std::string::npos) << s.protocol;
  EXPECT_NE(s.protocol.find("--factors-from all"), std::string::npos) << s.protocol;
  EXPECT_NE(s.protocol.find("one random 1-s crop per training track"), std::string::npos)
      << s.protocol;  // paper grid default
  EXPECT_NE(read_file_bytes(s.results_md).find(s.protocol), std::string::npos);
  // the two readings exclude each other
  o.out_dir = (root / "exp_both").string();
  o.mtn_epochs = 10;
  EXPECT_THROW(run_experiment(o), UsageError);
  // factors fitted on all tracks are refused when the grid asks for train
  o.mtn_epochs = 0;
  o.factors_from = "train";
  EXPECT_THROW(run_experiment(o), UsageError);
}

TEST_F(Protocol, MlpEpochOfCropsIsOneRandomCropPerTrack) {
  TrainOptions g = small("stn", "g", "mlp_g");
  run_train(g);
  TransferOptions to;
  to.work_dir = work;
  to.nets = {g.run_dir};
  to.epochs = 2;
  to.batch = 8;
  to.device = "cpu";
  to.quiet = true;
  to.out_dir = (root / "mlp_windows").string();
  to.mlp_epoch = "windows";
  const TransferResult rw = run_transfer(to);
  to.out_dir = (root / "mlp_crops").string();
  to.mlp_epoch = "crops";
  const TransferResult rc = run_transfer(to);
  const int64_t train_tracks = int64_t(load_split(work + "/split.json").train.size());
  EXPECT_EQ(rc.train_windows, train_tracks);      // one crop per training track per epoch
  EXPECT_GE(rw.train_windows, 2 * train_tracks);  // 3-s tracks (~130 frames): 3 non-overlapping windows each
  EXPECT_NE(read_file_bytes(rc.model_path), read_file_bytes(rw.model_path));
  // the crops are drawn anew each epoch: the cache holds one feature file per epoch besides valid
  int crop_files = 0;
  for (const auto& e : fs::directory_iterator(g.run_dir + "/features")) {
    SafetensorsFile f = SafetensorsFile::open(e.path().string());
    crop_files += f.metadata().at("what").rfind("train crops", 0) == 0;
  }
  EXPECT_EQ(crop_files, 2);
  // reproducible: same seed, same model
  to.out_dir = (root / "mlp_crops2").string();
  EXPECT_EQ(read_file_bytes(run_transfer(to).model_path), read_file_bytes(rc.model_path));
  to.mlp_epoch = "tracks";
  EXPECT_THROW(run_transfer(to), UsageError);
}

}  // namespace
}  // namespace agf
