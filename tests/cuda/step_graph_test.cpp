// CudaGraphLifecycle.*: the real StepGraph and trainer path on a GPU. The replay cases are the ones the CPU
// runs in CI (tests/graph_lifecycle_cases.h), here with the driver's CUDA graph against eager CUDA steps,
// bit for bit (deterministic cuDNN algorithms, FP32). Then `agf train`'s code path on CUDA: graph against
// --no-graph (bitwise) and against the CPU (first-epoch loss within float32 tolerance).
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "../graph_lifecycle_cases.h"
#include "agf/data/prepare.h"
#include "agf/data/synth.h"
#include "agf/factors/factors.h"
#include "agf/train/jsonl.h"
#include "agf/train/session.h"
#include "agf/train/trainer.h"
#include "../tiny_work.h"
#include "util/fs.h"
#include "cuda_test_util.h"

namespace agf::cudatest {
namespace {
namespace fs = std::filesystem;

struct Gpu {
  CudaCtx ctx;
  static CudaCtxOptions options() {
    CudaCtxOptions o;
    o.deterministic = true;
    return o;
  }
  Gpu() : ctx(options()) {}
};

TEST(CudaGraphLifecycle, ReplayEqualsEagerBitwise) {
  AGF_REQUIRE_CUDA();
  Gpu g;
  lifecycle::replay_equals_eager(Device::CUDA, &g.ctx);
}
TEST(CudaGraphLifecycle, ReplayAfterInferenceAndShortBatchEqualsEager) {
  AGF_REQUIRE_CUDA();
  Gpu g;
  lifecycle::replay_after_inference_and_short_batch(Device::CUDA, &g.ctx);
}
TEST(CudaGraphLifecycle, TwoTaskGraphsShareOneArena) {
  AGF_REQUIRE_CUDA();
  Gpu g;
  lifecycle::two_graphs_share_one_arena(Device::CUDA, &g.ctx);
}
TEST(CudaGraphLifecycle, AllocationInsideCaptureIsACaptureError) {
  AGF_REQUIRE_CUDA();
  Gpu g;
  DeviceGraph dg(Device::CUDA, &g.ctx);
  dg.begin();
  EXPECT_THROW(Tensor::empty(Shape{16}, DType::F32, Device::CUDA), CaptureError);
  Tensor host = Tensor::zeros(Shape{1}, DType::F32);
  dg.abort();
  EXPECT_FALSE(g.ctx.capturing());
  Tensor ok = Tensor::zeros(Shape{16}, DType::F32, Device::CUDA);  // the context still works after the abort
  EXPECT_EQ(ok.numel(), 16);
}

// `agf train` on CUDA, on a tiny corpus made here (4 genres x 2 artists x 4 tracks of 3 s).
class CudaTrain : public ::testing::Test {
 public:
  static fs::path root;
  static std::string work;
  static void SetUpTestSuite() {
    if (cuda_device_count() == 0) return;
    root = fs::temp_directory_path() / ("agf_cudatrain_" + std::to_string(getpid()));
    fs::remove_all(root);
    work = testing_util::make_tiny_work(root.string(), 5, 4);
  }
  static void TearDownTestSuite() {
    if (!root.empty()) fs::remove_all(root);
  }
  static TrainSummary train(const std::string& arch, const std::string& tasks, const std::string& device, bool graph,
                            const std::string& out) {
    TrainOptions o;
    o.work_dir = work;
    o.run_dir = (root / out).string();
    o.arch = parse_arch(arch);
    o.tasks = tasks;
    o.epochs = 2;
    o.batch = 8;
    o.device = device;
    o.graph = graph;
    o.quiet = true;
    return run_train(o);
  }
  static std::vector<nlohmann::json> log(const TrainSummary& s) {
    std::vector<nlohmann::json> r = read_jsonl(s.run_dir + "/train.jsonl").records;
    for (auto& j : r) j.erase("seconds");
    return r;
  }
};
fs::path CudaTrain::root;
std::string CudaTrain::work;

void train_case(const std::string& arch, const std::string& tasks) {
  TrainSummary g = CudaTrain::train(arch, tasks, "cuda", true, arch + tasks + "_graph");
  TrainSummary e = CudaTrain::train(arch, tasks, "cuda", false, arch + tasks + "_eager");
  TrainSummary c = CudaTrain::train(arch, tasks, "cpu", true, arch + tasks + "_cpu");
  ASSERT_TRUE(g.finished && e.finished && c.finished);
  EXPECT_EQ(read_file_bytes(g.model_path), read_file_bytes(e.model_path)) << "CUDA graph and eager runs differ";
  EXPECT_EQ(CudaTrain::log(g), CudaTrain::log(e));
  // Against the CPU: the first epoch's training loss per task (float32 on both; the orders of the
  // reductions differ, so a relative 1e-3 after a few dozen Adam steps).
  const nlohmann::json gc = CudaTrain::log(g).front()["train"], cc = CudaTrain::log(c).front()["train"];
  for (auto it = cc.begin(); it != cc.end(); ++it) {
    ASSERT_TRUE(gc.contains(it.key()));
    const double a = gc[it.key()].get<double>(), b = it.value().get<double>();
    EXPECT_NEAR(a, b, 1e-3 * std::max(1.0, std::abs(b))) << "task " << it.key() << ": CUDA " << a << ", CPU " << b;
  }
}

TEST_F(CudaTrain, StnGraphEqualsEagerAndMatchesCpu) {
  AGF_REQUIRE_CUDA();
  train_case("stn", "g");
}
TEST_F(CudaTrain, MtnGraphEqualsEagerAndMatchesCpu) {
  AGF_REQUIRE_CUDA();
  train_case("mtn", "gs");
}

}  // namespace
}  // namespace agf::cudatest
