// Preemption (issue 15): SIGTERM/SIGINT only set a flag; a net (agf train), an MLP (agf transfer) and the grid
// (agf experiment) stop at the next step boundary with a mid-epoch checkpoint, and a resumed run ends
// bit-identical (CPU) to an uninterrupted one: parameters, Adam state, position and the logged metrics. The
// last tests run the built agf as a child and send it a real SIGTERM mid-epoch (exit status 75), then resume.
// Tiny corpus (tiny_work.h: 4 genres x 2 artists x 3 tracks of 3 s), batch 8: 3 steps per epoch.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "../agf_child.h"
#include "../tiny_work.h"
#include "agf/train/experiment.h"
#include "agf/train/jsonl.h"
#include "agf/train/trainer.h"
#include "agf/train/transfer.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "engine/safetensors.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;
using testing_util::Child;
using testing_util::log_of;
using testing_util::run_agf;
using testing_util::spawn_agf;
using testing_util::wait_child;

class Interrupt : public ::testing::Test {
 protected:
  static std::unique_ptr<testing_util::TempDir> tmp;  // removed in TearDownTestSuite
  static fs::path root;
  static std::string work;
  static void SetUpTestSuite() {
    tmp = std::make_unique<testing_util::TempDir>("interrupt");
    root = tmp->path();
    work = testing_util::make_tiny_work(root.string(), 3, 3);
  }
  static void TearDownTestSuite() { tmp.reset(); }
  void SetUp() override { clear_interrupt(); }
  void TearDown() override { clear_interrupt(); }

  static TrainOptions small(const std::string& arch, const std::string& tasks, const std::string& out) {
    return testing_util::tiny_train_options(work, (root / out).string(), arch, tasks, 4);
  }
};
std::unique_ptr<testing_util::TempDir> Interrupt::tmp;
fs::path Interrupt::root;
std::string Interrupt::work;

nlohmann::json meta_json(const SafetensorsFile& f, const char* key) {
  return nlohmann::json::parse(f.metadata().at(key));
}

// Every tensor of two safetensors files, byte for byte (their metadata may differ in wall-clock seconds).
void expect_same_tensors(const std::string& a, const std::string& b) {
  SafetensorsFile fa = SafetensorsFile::open(a), fb = SafetensorsFile::open(b);
  ASSERT_EQ(fa.names(), fb.names()) << a << " vs " << b;
  for (const std::string& name : fa.names()) {
    StView va = fa.get(name), vb = fb.get(name);
    ASSERT_EQ(va.nbytes, vb.nbytes) << name;
    EXPECT_EQ(std::memcmp(va.data, vb.data, va.nbytes), 0) << name << " differs: " << a << " vs " << b;
  }
}

nlohmann::json state_without_time(const std::string& ckpt) {
  nlohmann::json s = meta_json(SafetensorsFile::open(ckpt), "state");
  s.erase("seconds");
  return s;
}

std::vector<nlohmann::json> records_without_time(const std::string& path) {
  std::vector<nlohmann::json> r = read_jsonl(path).records;
  for (auto& j : r) j.erase("seconds");
  return r;
}

// The uninterrupted run and the one stopped and resumed end in the same state.
void expect_same_run(const TrainOptions& a, const TrainOptions& b) {
  EXPECT_EQ(read_file_bytes(a.run_dir + "/model.safetensors"), read_file_bytes(b.run_dir + "/model.safetensors"));
  expect_same_tensors(a.run_dir + "/checkpoint.safetensors", b.run_dir + "/checkpoint.safetensors");  // + Adam moments
  EXPECT_EQ(state_without_time(a.run_dir + "/checkpoint.safetensors"),
            state_without_time(b.run_dir + "/checkpoint.safetensors"));
  EXPECT_EQ(records_without_time(a.run_dir + "/train.jsonl"), records_without_time(b.run_dir + "/train.jsonl"));
}

TEST_F(Interrupt, HandlerOnlySetsTheFlagAndAThirdSignalEndsAtOnce) {
  struct sigaction before, after;
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &before), 0);
  {
    InterruptHandlers h;
    ASSERT_FALSE(interrupt_requested());
    ::raise(SIGTERM);  // the process lives on: the handler records it
    EXPECT_TRUE(interrupt_requested());
    EXPECT_EQ(interrupt_signal(), SIGTERM);
    ::raise(SIGINT);  // a second one changes nothing but the count
    EXPECT_EQ(interrupt_signal_count(), 2);
    EXPECT_EQ(interrupt_signal(), SIGTERM);
  }
  // The previous disposition is back once the handlers go.
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  clear_interrupt();
  EXPECT_EXIT(
      {
        InterruptHandlers h;
        for (int i = 0; i < 3; ++i) ::raise(SIGTERM);
        std::exit(0);
      },
      ::testing::ExitedWithCode(128 + SIGTERM), "third signal");
}

TEST_F(Interrupt, NetStoppedMidEpochResumesBitIdentical) {
  // An STN (graph replays of full batches, a short eager last batch) and an MTN drawing its task per batch
  // (two optimizers): stopped twice, inside an epoch and before its short last batch, then finished.
  struct Case {
    const char* arch;
    const char* tasks;
    const char* draw;
    int64_t first, second;  // steps of each invocation before the stop
  };
  for (const Case& c : {Case{"stn", "g", "epoch", 4, 4}, Case{"mtn", "gs", "batch", 5, 2}}) {
    SCOPED_TRACE(std::string(c.arch) + "-" + c.tasks);
    TrainOptions a = small(c.arch, c.tasks, std::string("whole_") + c.arch);
    a.task_draw = c.draw;
    TrainSummary sa = run_train(a);
    ASSERT_TRUE(sa.finished);
    ASSERT_EQ(sa.steps, 12) << "the tiny corpus was expected to give 3 steps per epoch";

    TrainOptions b = small(c.arch, c.tasks, std::string("stopped_") + c.arch);
    b.task_draw = c.draw;
    arm_interrupt_after_steps(c.first);
    EXPECT_THROW(run_train(b), Interrupted);
    nlohmann::json s = state_without_time(b.run_dir + "/checkpoint.safetensors");
    EXPECT_EQ(s["step"], c.first);
    EXPECT_EQ(s["epoch"], c.first / 3);
    EXPECT_EQ(s["data_position"]["batch"], c.first % 3);  // inside the epoch
    ASSERT_TRUE(s.contains("partial"));
    EXPECT_FALSE(fs::exists(b.run_dir + "/model.safetensors"));

    clear_interrupt();
    b.resume = true;
    arm_interrupt_after_steps(c.second);
    EXPECT_THROW(run_train(b), Interrupted);
    s = state_without_time(b.run_dir + "/checkpoint.safetensors");
    EXPECT_EQ(s["step"], c.first + c.second);
    EXPECT_EQ(s["data_position"]["batch"], (c.first + c.second) % 3);

    clear_interrupt();
    TrainSummary sb = run_train(b);
    ASSERT_TRUE(sb.finished);
    EXPECT_EQ(sb.steps, sa.steps);
    expect_same_run(a, b);
  }
}

TEST_F(Interrupt, MlpStoppedMidEpochResumesBitIdentical) {
  TrainOptions g = small("stn", "g", "mlp_net");
  g.epochs = 2;
  ASSERT_TRUE(run_train(g).finished);
  auto opts = [&](const std::string& out) {
    TransferOptions t;
    t.work_dir = work;
    t.nets = {g.run_dir};
    t.out_dir = (root / out).string();
    t.epochs = 3;
    t.batch = 8;
    t.device = "cpu";
    t.quiet = true;
    return t;
  };
  const TransferOptions a = opts("mlp_whole");
  const TransferResult ra = run_transfer(a);

  TransferOptions b = opts("mlp_stopped");
  arm_interrupt_after_steps(4);  // epoch 2, after its first batch
  EXPECT_THROW(run_transfer(b), Interrupted);
  const std::string ck = b.out_dir + "/checkpoint.safetensors";
  ASSERT_TRUE(fs::exists(ck));
  nlohmann::json s = meta_json(SafetensorsFile::open(ck), "state");
  EXPECT_EQ(s["step"], 4);
  EXPECT_EQ(s["epoch"], 1);
  EXPECT_EQ(s["batch"], 1);
  EXPECT_FALSE(fs::exists(b.out_dir + "/mlp.safetensors"));

  clear_interrupt();
  b.resume = true;
  b.seed = 2;  // another run's checkpoint is refused
  EXPECT_THROW(run_transfer(b), UsageError);
  b.seed = a.seed;
  const TransferResult rb = run_transfer(b);
  EXPECT_FALSE(fs::exists(ck));  // finished: nothing left to resume
  EXPECT_EQ(read_file_bytes(ra.model_path), read_file_bytes(rb.model_path));
  EXPECT_EQ(read_jsonl(a.out_dir + "/transfer.jsonl").records, read_jsonl(b.out_dir + "/transfer.jsonl").records);
  EXPECT_EQ(read_file_bytes(a.out_dir + "/predictions.csv"), read_file_bytes(b.out_dir + "/predictions.csv"));
  EXPECT_EQ(ra.eval.metrics.log_loss, rb.eval.metrics.log_loss);
}

TEST_F(Interrupt, ExperimentStopsAtTheInterruptedRunAndRerunResumes) {
  auto opts = [&](const std::string& out) {
    ExperimentOptions o;
    o.work_dir = work;
    o.out_dir = (root / out).string();
    o.cases = {"stn-g", "mtn-gs"};
    o.stn_epochs = 2;
    o.mtn_epochs = 2;
    o.mlp_epochs = 2;
    o.batch = 8;
    o.device = "cpu";
    o.quiet = true;
    return o;
  };
  const ExperimentOptions a = opts("grid_whole");
  const ExperimentSummary sa = run_experiment(a);
  ASSERT_EQ(sa.results.size(), 2u);

  // 6 steps of net stn-g, 6 of its MLP, 6 of net mtn-gs, 6 of its MLP: stop in the net, in the MLP, in the MTN.
  const ExperimentOptions b = opts("grid_stopped");
  for (int64_t k : {4, 4, 5}) {
    arm_interrupt_after_steps(k);
    EXPECT_THROW(run_experiment(b), Interrupted);
    clear_interrupt();
  }
  EXPECT_TRUE(fs::exists(b.out_dir + "/nets/mtn-gs/checkpoint.safetensors"));
  EXPECT_FALSE(fs::exists(b.out_dir + "/nets/mtn-gs/model.safetensors"));
  EXPECT_EQ(ResultsStore(b.out_dir + "/results.csv").load().size(), 1u);  // stn-g finished before the third stop
  const ExperimentSummary sb = run_experiment(b);
  ASSERT_EQ(sb.results.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(sa.results[i].case_name, sb.results[i].case_name);
    EXPECT_EQ(sa.results[i].log_loss, sb.results[i].log_loss) << sa.results[i].case_name;
    EXPECT_EQ(sa.results[i].f1, sb.results[i].f1);
    EXPECT_EQ(sa.results[i].accuracy, sb.results[i].accuracy);
  }
  for (const char* f : {"nets/stn-g/model.safetensors", "nets/mtn-gs/model.safetensors", "cases/stn-g/mlp.safetensors",
                        "cases/mtn-gs/mlp.safetensors"})
    expect_same_tensors(a.out_dir + "/" + f, b.out_dir + "/" + f);  // the metadata names each folder's nets
}

TEST_F(Interrupt, RealSigtermMidEpochExits75AndResumeIsBitIdentical) {
  const std::string a = (root / "cli_whole").string(), b = (root / "cli_stopped").string();
  const std::vector<std::string> common = {"train",    "--work", work,      "--arch", "mtn",      "--tasks", "gs",
                                           "--epochs", "3",      "--batch", "8",      "--device", "cpu",     "--quiet"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> v = common;
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  const std::string la = (root / "cli_whole.log").string(), lb = (root / "cli_stopped.log").string();
  ASSERT_EQ(run_agf(with({"--out", a}), la), 0) << read_file_bytes(la);

  // Step 4 (epoch 2, batch 2) waits in flight for the signal; it finishes, and the run stops before step 5.
  Child c = spawn_agf(with({"--out", b, "--drill-wait-at-step", "4"}), lb);
  const auto t0 = std::chrono::steady_clock::now();
  while (!fs::exists(b + "/drill-waiting")) {
    int st = 0;
    ASSERT_EQ(::waitpid(c.pid, &st, WNOHANG), 0) << "agf train ended before step 4:\n" << log_of(c);
    ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(600)) << log_of(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(c.pid, SIGINT);  // a second signal, perhaps while the checkpoint is written: changes nothing
  const int rc = wait_child(c);
  ASSERT_EQ(rc, kExitResumable) << log_of(c);
  EXPECT_NE(log_of(c).find("stopped by SIGTERM at step 5"), std::string::npos) << log_of(c);
  const nlohmann::json s = state_without_time(b + "/checkpoint.safetensors");
  EXPECT_EQ(s["step"], 5);
  EXPECT_EQ(s["epoch"], 1);
  EXPECT_EQ(s["data_position"]["batch"], 2);
  EXPECT_FALSE(fs::exists(b + "/model.safetensors"));

  ASSERT_EQ(run_agf(with({"--out", b, "--resume"}), lb), 0) << read_file_bytes(lb);
  expect_same_tensors(a + "/model.safetensors", b + "/model.safetensors");
  expect_same_tensors(a + "/checkpoint.safetensors", b + "/checkpoint.safetensors");
  EXPECT_EQ(state_without_time(a + "/checkpoint.safetensors"), state_without_time(b + "/checkpoint.safetensors"));
  EXPECT_EQ(records_without_time(a + "/train.jsonl"), records_without_time(b + "/train.jsonl"));
}

TEST_F(Interrupt, ExperimentCommandExits75AndItsRerunResumes) {
  const std::string out = (root / "cli_grid").string(), log = (root / "cli_grid.log").string();
  const std::vector<std::string> args = {"experiment", "--work",       work,  "--out",        out, "--case",
                                         "stn-g",      "--stn-epochs", "2",   "--mlp-epochs", "2", "--batch",
                                         "8",          "--device",     "cpu", "--quiet"};
  // The drill stops the grid as SIGTERM would, inside net stn-g's second epoch.
  ASSERT_EQ(run_agf(args, log, {"AGF_DRILL_STOP_AFTER_STEPS=4"}), kExitResumable) << read_file_bytes(log);
  EXPECT_EQ(state_without_time(out + "/nets/stn-g/checkpoint.safetensors")["data_position"]["batch"], 1);
  ASSERT_EQ(run_agf(args, log), 0) << read_file_bytes(log);
  EXPECT_EQ(ResultsStore(out + "/results.csv").load().size(), 1u);
}

}  // namespace
}  // namespace agf
