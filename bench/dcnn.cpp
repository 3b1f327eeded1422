// DCNN training step on the CPU at the paper's shapes (1x128x43, 16 genres): forward, soft-target
// cross-entropy, backward, Adam + L2, one step per iteration; also inference and the transfer MLP's step.
// items/s = segments/s (Google Benchmark's, from the main thread's CPU time; ms/step and GFLOP/s are wall
// time). GFLOP/s counts conv and dense multiply-adds x 2 only: a training step is 3x the forward (forward,
// backward-data, backward-filter) less the first layer's backward-data (the input needs no gradient).
// Peer: bench/peers/compare_cpu.py runs BM_dcnn_train_step/64 beside PyTorch's step; bench/results/cpu_dcnn.md.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <chrono>
#include <memory>
#include "kernels/philox.h"
#include "layers/step.h"
#include "layers/step_graph.h"

using namespace agf;

namespace {

// Untimed steps before the loop, as the PyTorch peer's --warmup 3: measured here, the first two steps after
// building a net run ~25 % slower (311 vs 246 ms at batch 64, 2 threads) while the arena and scratch settle.
constexpr int kWarmup = 3;

// Forward multiply-adds x 2 of the DCNN's convolutions and dense layers for one segment.
double dcnn_forward_flops() {
  struct L {
    double c, k, r, h, w;
  } convs[] = {{1, 16, 5, 128, 43}, {16, 32, 3, 64, 43}, {32, 64, 3, 32, 21}, {64, 64, 3, 16, 10},
               {64, 128, 3, 8, 5},  {128, 256, 3, 4, 2}, {256, 256, 1, 4, 2}};
  double f = 0;
  for (auto& l : convs) f += 2 * l.c * l.k * l.r * l.r * l.h * l.w;
  return f + 2 * (256 * 256 + 256 * 16);
}
double dcnn_conv1_flops() { return 2.0 * 1 * 16 * 5 * 5 * 128 * 43; }
double dcnn_train_flops() { return 3 * dcnn_forward_flops() - dcnn_conv1_flops(); }

double mlp_forward_flops() { return 2.0 * (1280 * 1024 + 1024 * 16); }
double mlp_train_flops() { return 3 * mlp_forward_flops() - 2.0 * 1280 * 1024; }

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Wall-clock timer around the benchmark loop, for counters printed as plain numbers ("ms/step=954.9",
// not Google Benchmark's rate form "ms/step=954.926s"), and in wall time: the kernels run on OpenMP threads,
// so the main thread's CPU time undercounts. Also counts the process's minor page faults over the loop: a
// steady-state step that allocates nothing new faults no pages (issue 13: freshly faulted memory was 6 % of a
// step).
class LoopClock {
 public:
  LoopClock() : t0_(std::chrono::steady_clock::now()), faults0_(minor_faults()) {}
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  long faults() const { return minor_faults() - faults0_; }

 private:
  std::chrono::steady_clock::time_point t0_;
  long faults0_;
};

// items/s (segments/s), GFLOP/s, ms/step and page faults per step for `flops_per_iter` over the loop.
void set_counters(benchmark::State& state, int batch, double flops_per_iter, const LoopClock& clock) {
  const double seconds = clock.seconds(), iters = double(state.iterations());
  state.SetItemsProcessed(int64_t(state.iterations()) * batch);
  state.counters["GFLOP/s"] = flops_per_iter * iters / seconds / 1e9;
  state.counters["ms/step"] = seconds / iters * 1e3;
  state.counters["faults/step"] = double(clock.faults()) / iters;
}

void fill(Tensor& x, uint64_t seed) {
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 2.f * philox_uniform(seed, 0, uint64_t(i)) - 1.f;
}

// The DCNN training setup both step benchmarks share: net, optimizer, tape, a batch of inputs and one-hot targets.
struct DcnnRig {
  int B;
  std::unique_ptr<Net> net;
  std::unique_ptr<Adam> opt;
  Arena arena{Device::CPU};
  Tape t{arena, DType::F32};
  Tensor x, y;
  explicit DcnnRig(int batch) : B(batch), net(build_net(NetConfig{})) {
    net->params.finalize(Device::CPU, DType::F32, 1);
    opt = std::make_unique<Adam>(net->params, AdamConfig{});
    x = Tensor::empty(Shape{B, 1, 128, 43}, DType::F32);
    y = Tensor::zeros(Shape{B, 16}, DType::F32);
    fill(x, 3);
    for (int i = 0; i < B; ++i) y.data<float>()[i * 16 + i % 16] = 1.f;
  }
};

void BM_dcnn_train_step(benchmark::State& state) {
  DcnnRig r(int(state.range(0)));
  const int B = r.B;
  auto& net = r.net;
  Adam& opt = *r.opt;
  Tape& t = r.t;
  Tensor &x = r.x, &y = r.y;
  for (int w = 0; w < kWarmup; ++w) train_step(*net, t, opt, x, y);  // arena sized, scratch grown
  uint64_t step = 0;
  LoopClock clock;
  for (auto _ : state) {
    t.seed = ++step;
    benchmark::DoNotOptimize(train_step(*net, t, opt, x, y).loss.raw());
  }
  set_counters(state, B, dcnn_train_flops() * B, clock);
}
// Registered without MinTime/UseRealTime, which would append "/min_time:3.000/real_time" to the name:
// compare_cpu.py filters on exactly BM_dcnn_train_step/<batch>. The Time column is wall time either way, and
// so are the counters (LoopClock); give --benchmark_min_time=<s> for more than one step per repetition.
BENCHMARK(BM_dcnn_train_step)->Arg(64)->Unit(benchmark::kMillisecond);

// The same step replayed from its recording (layers/step_graph.h), as `agf train` runs full batches: the
// kernels and their arguments are those of the eager step, without the per-step tape closures and names.
void BM_dcnn_train_step_graph(benchmark::State& state) {
  DcnnRig r(int(state.range(0)));
  const int B = r.B;
  auto& net = r.net;
  Adam& opt = *r.opt;
  Tape& t = r.t;
  Tensor &x = r.x, &y = r.y;
  StepGraph g(*net, t, opt, x, y, 0, 1);
  for (int w = 1; w < kWarmup; ++w) g.replay(uint64_t(w) + 1);
  uint64_t step = kWarmup;
  LoopClock clock;
  for (auto _ : state) {
    g.replay(++step);
    benchmark::DoNotOptimize(g.loss().raw());
  }
  set_counters(state, B, dcnn_train_flops() * B, clock);
}
BENCHMARK(BM_dcnn_train_step_graph)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_dcnn_inference(benchmark::State& state) {
  const int B = int(state.range(0));
  NetConfig cfg;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F32, 1);
  Arena arena(Device::CPU);
  Tape t(arena, DType::F32);
  Tensor x = Tensor::empty(Shape{B, 1, 128, 43}, DType::F32);
  fill(x, 4);
  for (int w = 0; w < kWarmup; ++w) infer(*net, t, x);
  LoopClock clock;
  for (auto _ : state) benchmark::DoNotOptimize(infer(*net, t, x).probs.raw());
  set_counters(state, B, dcnn_forward_flops() * B, clock);
}
BENCHMARK(BM_dcnn_inference)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_mlp_train_step(benchmark::State& state) {
  const int B = int(state.range(0));
  NetConfig cfg;
  cfg.arch = Arch::mlp;
  cfg.inputs = 1280;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F32, 1);
  Adam opt(net->params, AdamConfig{});
  Arena arena(Device::CPU);
  Tape t(arena, DType::F32);
  Tensor x = Tensor::empty(Shape{B, 1280}, DType::F32), y = Tensor::zeros(Shape{B, 16}, DType::F32);
  fill(x, 5);
  for (int i = 0; i < B; ++i) y.data<float>()[i * 16 + i % 16] = 1.f;
  for (int w = 0; w < kWarmup; ++w) train_step(*net, t, opt, x, y);
  uint64_t step = 0;
  LoopClock clock;
  for (auto _ : state) {
    t.seed = ++step;
    benchmark::DoNotOptimize(train_step(*net, t, opt, x, y).loss.raw());
  }
  set_counters(state, B, mlp_train_flops() * B, clock);
}
BENCHMARK(BM_mlp_train_step)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
