// Whole training steps on a GPU, for the race against PyTorch (bench/peers/race.py) and for the first-contact
// script (scripts/gpu_check.sh): the DCNN step (forward, soft-target cross-entropy, backward, Adam + L2) eager
// and as a replayed StepGraph, at batch 64 and 256, FP32 and TF32; the 2-task MTN step (tasks alternating, one
// graph each); the transfer MLP's step; and inference windows per second.
// Timing: CUDA events around each iteration (manual time), after 5 warm-up steps; Google Benchmark reports
// the median over --benchmark_repetitions. An eager step's time includes the GPU's idle gaps while the host
// launches, which is what a graph removes.
//   bench_dcnn_cuda --benchmark_filter=BM_dcnn_cuda_step --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/optim.h"
#include "kernels/cuda_ctx.h"
#include "kernels/philox.h"
#include "layers/nets.h"
#include "layers/step.h"
#include "layers/step_graph.h"

namespace agf {
namespace {

constexpr int kWarmup = 5;

// One context per TF32 setting, kept for the run so conv plans stay cached; cudnnFind* picks the fastest.
std::unique_ptr<CudaCtx> g_ctxs[2];
CudaCtx& bench_ctx(bool tf32) {
  auto& c = g_ctxs[tf32 ? 1 : 0];
  if (!c) {
    CudaCtxOptions o;
    o.tf32 = tf32;
    o.benchmark = true;
    c = std::make_unique<CudaCtx>(o);
  }
  return *c;
}

Tensor random_device(Shape s, uint64_t seed, float scale) {
  std::vector<float> h(size_t(s.numel()));
  for (size_t i = 0; i < h.size(); ++i) h[i] = scale * (2.f * philox_uniform(seed, 0, i) - 1.f);
  Tensor t = Tensor::empty(s, DType::F32, Device::CUDA);
  t.copy_from_host(h.data());
  return t;
}
Tensor one_hot_device(int n, int k, uint64_t seed) {
  std::vector<float> h(size_t(n) * size_t(k), 0.f);
  for (int i = 0; i < n; ++i) h[size_t(i) * size_t(k) + size_t(philox_u32(seed, 0, uint64_t(i)) % uint32_t(k))] = 1.f;
  Tensor t = Tensor::empty(Shape{n, k}, DType::F32, Device::CUDA);
  t.copy_from_host(h.data());
  return t;
}

// Runs `step` (one training step issued to ctx.stream) under CUDA-event timing.
template <typename F> void time_steps(benchmark::State& st, CudaCtx& ctx, int items_per_step, F step) {
  for (int i = 0; i < kWarmup; ++i) step();
  ctx.synchronize();
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  double total_ms = 0;
  for (auto _ : st) {
    CUDA_CHECK(cudaEventRecord(a, ctx.stream));
    step();
    CUDA_CHECK(cudaEventRecord(b, ctx.stream));
    CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0.f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    total_ms += ms;
    st.SetIterationTime(double(ms) * 1e-3);
  }
  CUDA_CHECK(cudaEventDestroy(a));
  CUDA_CHECK(cudaEventDestroy(b));
  st.SetItemsProcessed(int64_t(st.iterations()) * items_per_step);
  st.counters["ms/step"] = total_ms / double(st.iterations());
}

// A net's training rig on the GPU: tape, arena, one optimizer per task, fixed batch buffers.
struct Rig {
  std::unique_ptr<Net> net;
  Arena arena{Device::CUDA};
  Tape tape{arena, DType::F32};
  std::vector<std::unique_ptr<Adam>> opts;
  std::vector<Tensor> x, y;  // per task
  std::vector<std::unique_ptr<StepGraph>> graphs;
  Rig(const NetConfig& cfg, int batch, CudaCtx& ctx) {
    net = build_net(cfg);
    net->params.finalize(Device::CUDA, DType::F32, 7);
    tape.cuda = &ctx;
    const int T = net->num_tasks();
    for (int k = 0; k < T; ++k) {
      if (T == 1)
        opts.push_back(std::make_unique<Adam>(net->params, AdamConfig{}, &ctx));
      else
        opts.push_back(std::make_unique<Adam>(net->params, AdamConfig{}, &ctx,
                                              task_param_ranges(net->params, cfg.tasks[size_t(k)], true)));
      x.push_back(random_device(net->input_shape(batch), 11 + uint64_t(k), 1.5f));
      y.push_back(one_hot_device(batch, net->outputs(k), 21 + uint64_t(k)));
    }
    graphs.resize(size_t(T));
  }
  ~Rig() { graphs.clear(); }  // graphs before the arena they pin
  void step(int task, bool graph, uint64_t seed) {
    if (!graph) {
      tape.seed = seed;
      tape.rng_offset = 0;
      train_step(*net, tape, *opts[size_t(task)], x[size_t(task)], y[size_t(task)], task);
      return;
    }
    auto& g = graphs[size_t(task)];
    if (!g)
      g = std::make_unique<StepGraph>(*net, tape, *opts[size_t(task)], x[size_t(task)], y[size_t(task)], task, seed);
    else
      g->replay(seed);
  }
};

void bm_step(benchmark::State& st, NetConfig cfg, int batch, bool graph, bool tf32) {
  try {
    CudaCtx& ctx = bench_ctx(tf32);
    Rig r(cfg, batch, ctx);
    const int T = r.net->num_tasks();
    uint64_t s = 0;
    time_steps(st, ctx, batch, [&] {
      r.step(int(s % uint64_t(T)), graph, 1000 + s);
      ++s;
    });
    st.counters["nodes"] = r.graphs[0] ? double(r.graphs[0]->num_nodes()) : 0.0;
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
  }
}

void bm_infer(benchmark::State& st, int batch, bool tf32) {
  try {
    CudaCtx& ctx = bench_ctx(tf32);
    Rig r(NetConfig{}, batch, ctx);
    time_steps(st, ctx, batch, [&] { infer(*r.net, r.tape, r.x[0], 0); });
    st.counters["windows/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
  }
}

void register_all() {
  using benchmark::RegisterBenchmark;
  auto reg = [](const std::string& name, auto fn) {
    RegisterBenchmark(name.c_str(), fn)->UseManualTime()->Unit(benchmark::kMillisecond);
  };
  for (int tf32 : {0, 1})
    for (int batch : {64, 256})
      for (int graph : {1, 0})
        reg("BM_dcnn_cuda_step/batch:" + std::to_string(batch) + "/graph:" + std::to_string(graph) +
                "/tf32:" + std::to_string(tf32),
            [=](benchmark::State& st) { bm_step(st, NetConfig{}, batch, graph != 0, tf32 != 0); });
  NetConfig mtn;
  mtn.arch = Arch::mtn;
  mtn.tasks = "gs";
  mtn.topics = 40;
  for (int graph : {1, 0})
    reg("BM_mtn2_cuda_step/batch:64/graph:" + std::to_string(graph) + "/tf32:0",
        [=](benchmark::State& st) { bm_step(st, mtn, 64, graph != 0, false); });
  NetConfig mlp;
  mlp.arch = Arch::mlp;
  mlp.inputs = 1280;
  mlp.outputs = 16;
  for (int graph : {1, 0})
    reg("BM_mlp_cuda_step/batch:64/graph:" + std::to_string(graph) + "/tf32:0",
        [=](benchmark::State& st) { bm_step(st, mlp, 64, graph != 0, false); });
  for (int batch : {64, 256})
    reg("BM_dcnn_cuda_infer/batch:" + std::to_string(batch) + "/tf32:0",
        [=](benchmark::State& st) { bm_infer(st, batch, false); });
}

}  // namespace
}  // namespace agf

int main(int argc, char** argv) {
  agf::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // --benchmark_list_tests works anywhere; a run without a GPU reports each benchmark's error.
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (auto& c : agf::g_ctxs) c.reset();  // before static destruction, with the runtime still up
  return 0;
}
