// CUDA op benchmarks: each custom kernel with its achieved GB/s beside the measured device-to-device copy
// bandwidth (the ceiling), and each DCNN convolution (forward, backward-data, backward-filter) at batch 64/256,
// FP32 and TF32, with FLOP/s. CUDA-event timing (manual time), warm-up, median of repeats.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "kernels/adam.h"
#include "kernels/conv2d.h"
#include "kernels/cuda_ctx.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/elu.h"
#include "kernels/gap.h"
#include "kernels/maxpool.h"
#include "kernels/softmax_xent.h"

namespace agf {
namespace {

// One context per tf32 flag, created on first use and kept for the whole run (plans stay cached).
CudaCtx* bench_ctx(bool tf32) {
  static std::map<bool, std::unique_ptr<CudaCtx>> ctxs;
  auto& c = ctxs[tf32];
  if (!c) {
    CudaCtxOptions opt;
    opt.tf32 = tf32;
    opt.benchmark = true;  // time cuDNN's candidates once per shape (cudnnFind*): the best it offers
    c = std::make_unique<CudaCtx>(opt);
  }
  return c.get();
}

DeviceBuffer<float> filled(size_t n, float value) {
  DeviceBuffer<float> d(n);
  std::vector<float> h(n, value);
  for (size_t i = 0; i < n; ++i) h[i] = value * float(int(i % 17) - 8) / 8.0f;  // varied, finite, tie-light
  cuda_memcpy_h2d(d.get(), h.data(), n * sizeof(float));
  return d;
}

// Times launch() with CUDA events around each iteration, after 3 warm-up launches. `bytes` and `flops` are per
// iteration; reported as rates over the manual (GPU) time.
template <typename F> void run_timed(benchmark::State& st, CudaCtx& ctx, F launch, double bytes, double flops = 0.0) {
  for (int i = 0; i < 3; ++i) launch();
  ctx.synchronize();
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  for (auto _ : st) {
    CUDA_CHECK(cudaEventRecord(a, ctx.stream));
    launch();
    CUDA_CHECK(cudaEventRecord(b, ctx.stream));
    CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0.0f;
    CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    st.SetIterationTime(double(ms) * 1e-3);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  if (bytes > 0) st.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (flops > 0)
    st.counters["TFLOP/s"] = benchmark::Counter(flops * 1e-12, benchmark::Counter::kIsIterationInvariantRate);
}

// GPU time from CUDA events, median of 5 repetitions (the console shows the aggregates; JSON keeps every run).
#define AGF_GPU_BENCH(fn) \
  BENCHMARK(fn)->UseManualTime()->Repetitions(5)->DisplayAggregatesOnly(true)->Unit(benchmark::kMicrosecond)

#define NEED_GPU(st)                    \
  if (cuda_device_count() == 0) {       \
    st.SkipWithError("no CUDA device"); \
    return;                             \
  }

// ---- The ceiling: cudaMemcpyAsync device to device (bytes read + bytes written).
void BM_copy_d2d(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  size_t n = size_t(st.range(0)) << 20;
  DeviceBuffer<char> src(n), dst(n);
  run_timed(
      st, ctx, [&] { cuda_memcpy_d2d_async(ctx, dst.get(), src.get(), n); }, 2.0 * n);
}
AGF_GPU_BENCH(BM_copy_d2d)->Arg(64)->Arg(256);

// ---- Custom kernels. n = conv1's activations at batch 256 (256 x 16 x 128 x 43 = 22.5 M floats) unless noted.
constexpr size_t kAct = size_t(256) * 16 * 128 * 43;

void BM_elu_backward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  auto dx = filled(kAct, 0.f), dy = filled(kAct, 1.f), y = filled(kAct, 1.f);
  run_timed(
      st, ctx, [&] { elu_backward(ctx, dx.get(), dy.get(), y.get(), kAct, 1.0f); }, 16.0 * kAct);
}
void BM_elu_forward_cudnn(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  auto x = filled(kAct, 1.f), y = filled(kAct, 0.f);
  run_timed(
      st, ctx, [&] { elu_forward(ctx, y.get(), x.get(), kAct, 1.0f); }, 8.0 * kAct);
}
// Dropout's [seed, offset] = [42, 0] in device memory, where the kernel reads it.
DeviceBuffer<uint64_t> seed_offset_42() {
  DeviceBuffer<uint64_t> d(2);
  const uint64_t so[2] = {42, 0};
  cuda_memcpy_h2d(d.get(), so, sizeof(so));
  return d;
}
void BM_dropout_forward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  auto x = filled(kAct, 1.f), y = filled(kAct, 0.f);
  DeviceBuffer<uint8_t> mask(kAct);
  DeviceBuffer<uint64_t> seed_offset = seed_offset_42();
  run_timed(
      st, ctx, [&] { dropout_forward(ctx, y.get(), mask.get(), x.get(), kAct, 0.5f, seed_offset.get()); }, 9.0 * kAct);
}
void BM_dropout_backward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  auto x = filled(kAct, 1.f), y = filled(kAct, 0.f), dx = filled(kAct, 0.f);
  DeviceBuffer<uint8_t> mask(kAct);
  DeviceBuffer<uint64_t> seed_offset = seed_offset_42();
  dropout_forward(ctx, y.get(), mask.get(), x.get(), kAct, 0.5f, seed_offset.get());
  // mask read + (1-p) of dy read and dx read-modify-write
  run_timed(
      st, ctx, [&] { dropout_backward(ctx, dx.get(), y.get(), mask.get(), kAct, 0.5f); },
      1.0 * kAct + 0.5 * 12.0 * kAct);
}
void BM_maxpool_forward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  const int N = 256, C = 16, H = 128, W = 43;
  size_t nout = kAct / 2;
  auto x = filled(kAct, 1.f), y = filled(nout, 0.f);
  DeviceBuffer<int32_t> arg(nout);
  run_timed(
      st, ctx, [&] { maxpool_forward(ctx, y.get(), arg.get(), x.get(), N, C, H, W, 2, 1); }, 4.0 * kAct + 8.0 * nout);
}
void BM_maxpool_backward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  const int N = 256, C = 16, H = 128, W = 43;
  size_t nout = kAct / 2;
  auto x = filled(kAct, 1.f), y = filled(nout, 0.f), dx = filled(kAct, 0.f);
  DeviceBuffer<int32_t> arg(nout);
  maxpool_forward(ctx, y.get(), arg.get(), x.get(), N, C, H, W, 2, 1);
  run_timed(
      st, ctx, [&] { maxpool_backward(ctx, dx.get(), y.get(), arg.get(), N, C, H, W, 2, 1); }, 16.0 * nout);
}
void BM_gap_forward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  const int N = 256, C = int(st.range(0)), HW = int(st.range(1));
  size_t n = size_t(N) * C * HW;
  auto x = filled(n, 1.f), y = filled(size_t(N) * C, 0.f);
  run_timed(
      st, ctx, [&] { gap_forward(ctx, y.get(), x.get(), N, C, HW); }, 4.0 * n + 4.0 * N * C);
}
void BM_gap_backward(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  const int N = 256, C = int(st.range(0)), HW = int(st.range(1));
  size_t n = size_t(N) * C * HW;
  auto dx = filled(n, 0.f), dy = filled(size_t(N) * C, 1.f);
  run_timed(
      st, ctx, [&] { gap_backward(ctx, dx.get(), dy.get(), N, C, HW); }, 8.0 * n + 4.0 * N * C);
}
void BM_adam(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  size_t n = size_t(st.range(0));
  auto p = filled(n, 0.1f), g = filled(n, 0.01f), m = filled(n, 0.f), v = filled(n, 0.f);
  DeviceBuffer<float> bc(2);
  float hbc[2] = {0.1f, 0.001f};
  cuda_memcpy_h2d(bc.get(), hbc, sizeof(hbc));
  run_timed(
      st, ctx, [&] { adam_update(ctx, p.get(), g.get(), m.get(), v.get(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, bc.get()); },
      28.0 * n);
}
void BM_l2_grad(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  size_t n = size_t(st.range(0));
  auto p = filled(n, 0.1f), g = filled(n, 0.01f);
  run_timed(
      st, ctx, [&] { l2_grad(ctx, g.get(), p.get(), n, 1e-4f); }, 12.0 * n);
}
void BM_count_nonfinite(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  auto x = filled(kAct, 1.f);
  DeviceBuffer<int> count(1);
  run_timed(
      st, ctx, [&] { count_nonfinite(ctx, count.get(), x.get(), kAct); }, 4.0 * kAct);
}
void BM_softmax_xent(benchmark::State& st) {
  NEED_GPU(st);
  CudaCtx& ctx = *bench_ctx(false);
  const int N = int(st.range(0)), K = int(st.range(1));
  size_t n = size_t(N) * K;
  auto z = filled(n, 1.f), t = filled(n, 0.1f), p = filled(n, 0.f), dz = filled(n, 0.f), dl = filled(1, 1.f);
  DeviceBuffer<float> loss(1);
  run_timed(
      st, ctx,
      [&] {
    softmax_xent_forward(ctx, p.get(), loss.get(), z.get(), t.get(), N, K);
    softmax_xent_backward(ctx, dz.get(), p.get(), t.get(), N, K, dl.get());
      },
      4.0 * n * 7);
}
AGF_GPU_BENCH(BM_elu_forward_cudnn);
AGF_GPU_BENCH(BM_elu_backward);
AGF_GPU_BENCH(BM_dropout_forward);
AGF_GPU_BENCH(BM_dropout_backward);
AGF_GPU_BENCH(BM_maxpool_forward);
AGF_GPU_BENCH(BM_maxpool_backward);
AGF_GPU_BENCH(BM_gap_forward)->Args({256, 8})->Args({64, 160});
AGF_GPU_BENCH(BM_gap_backward)->Args({256, 8})->Args({64, 160});
AGF_GPU_BENCH(BM_adam)->Arg(1 << 20)->Arg(1 << 24);
AGF_GPU_BENCH(BM_l2_grad)->Arg(1 << 24);
AGF_GPU_BENCH(BM_count_nonfinite);
AGF_GPU_BENCH(BM_softmax_xent)->Args({64, 16})->Args({256, 16});

// ---- The DCNN's convolutions. Args: layer (1..7), batch, direction (0 fwd, 1 bwd-data, 2 bwd-filter), tf32.
struct ConvLayer {
  int C, H, W, K, R;
};
const ConvLayer kLayers[8] = {{0, 0, 0, 0, 0},     {1, 128, 43, 16, 5}, {16, 64, 43, 32, 3}, {32, 32, 21, 64, 3},
                              {64, 16, 10, 64, 3}, {64, 8, 5, 128, 3},  {128, 4, 2, 256, 3}, {256, 4, 2, 256, 1}};

void BM_conv(benchmark::State& st) {
  NEED_GPU(st);
  const ConvLayer& L = kLayers[st.range(0)];
  const int N = int(st.range(1)), dir = int(st.range(2));
  CudaCtx& ctx = *bench_ctx(st.range(3) != 0);
  const size_t nx = size_t(N) * L.C * L.H * L.W, ny = size_t(N) * L.K * L.H * L.W;
  const size_t nw = size_t(L.K) * L.C * L.R * L.R;
  auto x = filled(nx, 1.f), y = filled(ny, 0.f), w = filled(nw, 0.1f), b = filled(L.K, 0.f);
  auto dx = filled(nx, 0.f), dw = filled(nw, 0.f), db = filled(L.K, 0.f);
  const double flops = 2.0 * N * L.K * L.C * L.R * L.R * L.H * L.W;
  const int C = L.C, H = L.H, W = L.W, K = L.K, R = L.R;
  if (dir == 0)
    run_timed(
        st, ctx, [&] { conv2d_forward(ctx, y.get(), x.get(), w.get(), b.get(), N, C, H, W, K, R, R); },
        4.0 * (nx + ny + nw), flops);
  else if (dir == 1)
    run_timed(
        st, ctx, [&] { conv2d_backward_data(ctx, dx.get(), y.get(), w.get(), N, C, H, W, K, R, R); },
        4.0 * (2 * nx + ny + nw), flops);
  else
    run_timed(
        st, ctx, [&] { conv2d_backward_filter(ctx, dw.get(), db.get(), y.get(), x.get(), N, C, H, W, K, R, R); },
        4.0 * (nx + ny + 2 * nw), flops);
}
void conv_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"layer", "batch", "dir", "tf32"});
  for (int tf32 : {0, 1})
    for (int layer = 1; layer <= 7; ++layer)
      for (int batch : {64, 256})
        for (int dir = 0; dir < 3; ++dir) b->Args({layer, batch, dir, tf32});
}
AGF_GPU_BENCH(BM_conv)->Apply(conv_args);

}  // namespace
}  // namespace agf

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (agf::cuda_device_count() > 0) {
    benchmark::AddCustomContext("gpu", agf::cuda_device_summary(0));
  } else {
    std::fprintf(stderr, "bench_ops_cuda: no CUDA device; every benchmark reports 'no CUDA device'\n");
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
