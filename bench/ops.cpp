// CPU kernel benchmarks at the paper's DCNN shapes, batch 64, float32: forward and backward of every op.
// items/s counts samples (batch elements; parameters for Adam). GFLOP/s uses 2*MACs for conv and dense, and a
// nominal per-element count, written next to each op, for the memory-bound ones (plus bytes/s for those).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/adam.h"
#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/dropout.h"
#include "kernels/elu.h"
#include "kernels/gap.h"
#include "kernels/maxpool.h"
#include "kernels/softmax_xent.h"

namespace {

constexpr int kBatch = 64;

std::vector<float> rand_vec(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& e : v) e = d(g);
  return v;
}

void set_rates(benchmark::State& st, double flops_per_iter, double bytes_per_iter, int64_t items_per_iter) {
  st.counters["GFLOP/s"] = benchmark::Counter(flops_per_iter * st.iterations() / 1e9, benchmark::Counter::kIsRate);
  if (bytes_per_iter > 0) st.SetBytesProcessed(static_cast<int64_t>(bytes_per_iter * st.iterations()));
  st.SetItemsProcessed(items_per_iter * st.iterations());
}

// ---- conv2d: args C, K, H, W, R (square kernels); FLOPs 2*N*K*C*R*R*H*W per pass.
double conv_flops(const benchmark::State& st) {
  return 2.0 * kBatch * st.range(1) * st.range(0) * st.range(4) * st.range(4) * st.range(2) * st.range(3);
}

struct ConvBufs {
  int C, K, H, W, R;
  std::vector<float> x, w, b, y, dy, dx, dw, db;
  explicit ConvBufs(const benchmark::State& st)
      : C(st.range(0)), K(st.range(1)), H(st.range(2)), W(st.range(3)), R(st.range(4)),
        x(rand_vec(size_t(kBatch) * C * H * W, -1, 1, 1)), w(rand_vec(size_t(K) * C * R * R, -0.1f, 0.1f, 2)),
        b(K, 0.1f), y(size_t(kBatch) * K * H * W), dy(rand_vec(y.size(), -1, 1, 3)), dx(x.size(), 0.f),
        dw(w.size(), 0.f), db(K, 0.f) {}
};

void BM_conv2d_forward(benchmark::State& st) {
  ConvBufs c(st);
  for (auto _ : st) {
    agf::conv2d_forward<float>(agf::Cpu{}, c.y.data(), c.x.data(), c.w.data(), c.b.data(), kBatch, c.C, c.H, c.W, c.K,
                               c.R, c.R);
    benchmark::DoNotOptimize(c.y.data());
  }
  set_rates(st, conv_flops(st), 0, kBatch);
}
void BM_conv2d_backward_data(benchmark::State& st) {
  ConvBufs c(st);
  for (auto _ : st) {
    agf::conv2d_backward_data<float>(agf::Cpu{}, c.dx.data(), c.dy.data(), c.w.data(), kBatch, c.C, c.H, c.W, c.K, c.R,
                                     c.R);
    benchmark::DoNotOptimize(c.dx.data());
  }
  set_rates(st, conv_flops(st), 0, kBatch);
}
void BM_conv2d_backward_filter(benchmark::State& st) {
  ConvBufs c(st);
  for (auto _ : st) {
    agf::conv2d_backward_filter<float>(agf::Cpu{}, c.dw.data(), c.db.data(), c.dy.data(), c.x.data(), kBatch, c.C, c.H,
                                       c.W, c.K, c.R, c.R);
    benchmark::DoNotOptimize(c.dw.data());
  }
  set_rates(st, conv_flops(st), 0, kBatch);
}

// conv1..conv7 of the DCNN (input 1x128x43): C, K, H, W, R.
void conv_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "K", "H", "W", "R"});
  b->Args({1, 16, 128, 43, 5});
  b->Args({16, 32, 64, 43, 3});
  b->Args({32, 64, 32, 21, 3});
  b->Args({64, 64, 16, 10, 3});
  b->Args({64, 128, 8, 5, 3});
  b->Args({128, 256, 4, 2, 3});
  b->Args({256, 256, 4, 2, 1});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_conv2d_forward)->Apply(conv_args);
BENCHMARK(BM_conv2d_backward_data)->Apply(conv_args);
BENCHMARK(BM_conv2d_backward_filter)->Apply(conv_args);

// ---- batch norm: args C, HW. Nominal FLOPs: forward 7/element (sum; sub, mul, add for the variance;
// sub, mul, fma to normalise), backward 9/element (two reductions with xhat, then the dx formula).
void BM_batchnorm_forward_train(benchmark::State& st) {
  const int C = st.range(0), HW = st.range(1);
  const size_t n = size_t(kBatch) * C * HW;
  auto x = rand_vec(n, -1, 2, 4), g = rand_vec(C, 0.5, 1.5, 5), be = rand_vec(C, -1, 1, 6);
  std::vector<float> y(n), mean(C), inv(C), rm(C, 0.f), rv(C, 1.f);
  for (auto _ : st) {
    agf::batchnorm_forward_train<float>(agf::Cpu{}, y.data(), mean.data(), inv.data(), rm.data(), rv.data(), x.data(),
                                        g.data(), be.data(), kBatch, C, HW, 0.01, 1e-3);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(st, 7.0 * n, 3.0 * n * sizeof(float), kBatch);
}
void BM_batchnorm_backward(benchmark::State& st) {
  const int C = st.range(0), HW = st.range(1);
  const size_t n = size_t(kBatch) * C * HW;
  auto x = rand_vec(n, -1, 2, 4), g = rand_vec(C, 0.5, 1.5, 5), be = rand_vec(C, -1, 1, 6), dy = rand_vec(n, -1, 1, 7);
  std::vector<float> y(n), mean(C), inv(C), rm(C, 0.f), rv(C, 1.f), dx(n, 0.f), dg(C, 0.f), db(C, 0.f);
  agf::batchnorm_forward_train<float>(agf::Cpu{}, y.data(), mean.data(), inv.data(), rm.data(), rv.data(), x.data(),
                                      g.data(), be.data(), kBatch, C, HW, 0.01, 1e-3);
  for (auto _ : st) {
    agf::batchnorm_backward<float>(agf::Cpu{}, dx.data(), dg.data(), db.data(), dy.data(), x.data(), g.data(),
                                   mean.data(), inv.data(), kBatch, C, HW);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(st, 9.0 * n, 5.0 * n * sizeof(float), kBatch);
}
// bn2 (32 @ 64x43), bn4 (64 @ 16x10), bn7 (256 @ 4x2), bn_gap / bn_fc1 (256 features).
void bn_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "HW"})->Args({32, 64 * 43})->Args({64, 16 * 10})->Args({256, 8})->Args({256, 1});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK(BM_batchnorm_forward_train)->Apply(bn_args);
BENCHMARK(BM_batchnorm_backward)->Apply(bn_args);

// ---- ELU on conv1's output (16 @ 128x43, as many elements as conv2's 32 @ 64x43) and conv3's (64 @ 32x21).
// Nominal FLOPs: 2/element.
void BM_elu_forward(benchmark::State& st) {
  const size_t n = size_t(kBatch) * st.range(0);
  auto x = rand_vec(n, -2, 2, 8);
  std::vector<float> y(n);
  for (auto _ : st) {
    agf::elu_forward<float>(agf::Cpu{}, y.data(), x.data(), n, 1.0f);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(st, 2.0 * n, 2.0 * n * sizeof(float), kBatch);
}
void BM_elu_backward(benchmark::State& st) {
  const size_t n = size_t(kBatch) * st.range(0);
  auto y = rand_vec(n, -0.9f, 2, 9), dy = rand_vec(n, -1, 1, 10);
  std::vector<float> dx(n, 0.f);
  for (auto _ : st) {
    agf::elu_backward<float>(agf::Cpu{}, dx.data(), dy.data(), y.data(), n, 1.0f);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(st, 3.0 * n, 3.0 * n * sizeof(float), kBatch);
}
BENCHMARK(BM_elu_forward)->ArgName("CHW")->Arg(16 * 128 * 43)->Arg(64 * 32 * 21)->UseRealTime();
BENCHMARK(BM_elu_backward)->ArgName("CHW")->Arg(16 * 128 * 43)->Arg(64 * 32 * 21)->UseRealTime();

// ---- max-pool: args C, H, W, kh, kw (pool1 2x1 after conv1, pool2 2x2 after conv2). FLOPs: 1 compare/input.
void BM_maxpool_forward(benchmark::State& st) {
  const int C = st.range(0), H = st.range(1), W = st.range(2), kh = st.range(3), kw = st.range(4);
  const size_t n = size_t(kBatch) * C * H * W, m = size_t(kBatch) * C * (H / kh) * (W / kw);
  auto x = rand_vec(n, -1, 1, 11);
  std::vector<float> y(m);
  std::vector<int32_t> am(m);
  for (auto _ : st) {
    agf::maxpool_forward<float>(agf::Cpu{}, y.data(), am.data(), x.data(), kBatch, C, H, W, kh, kw);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(st, 1.0 * n, n * sizeof(float) + 2.0 * m * 4, kBatch);
}
void BM_maxpool_backward(benchmark::State& st) {
  const int C = st.range(0), H = st.range(1), W = st.range(2), kh = st.range(3), kw = st.range(4);
  const size_t n = size_t(kBatch) * C * H * W, m = size_t(kBatch) * C * (H / kh) * (W / kw);
  auto x = rand_vec(n, -1, 1, 11), dy = rand_vec(m, -1, 1, 12);
  std::vector<float> y(m), dx(n, 0.f);
  std::vector<int32_t> am(m);
  agf::maxpool_forward<float>(agf::Cpu{}, y.data(), am.data(), x.data(), kBatch, C, H, W, kh, kw);
  for (auto _ : st) {
    agf::maxpool_backward<float>(agf::Cpu{}, dx.data(), dy.data(), am.data(), kBatch, C, H, W, kh, kw);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(st, 1.0 * m, 2.0 * m * 4 + 2.0 * m * sizeof(float), kBatch);
}
void pool_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "H", "W", "kh", "kw"})->Args({16, 128, 43, 2, 1})->Args({32, 64, 43, 2, 2})->UseRealTime();
}
BENCHMARK(BM_maxpool_forward)->Apply(pool_args);
BENCHMARK(BM_maxpool_backward)->Apply(pool_args);

// ---- dropout: p = 0.1 on pool2's output (32 @ 32x21), p = 0.5 on the 256-d feature. FLOPs: 1/element
// (the 10 Philox rounds per 4 elements are integer work, not counted).
void BM_dropout_forward(benchmark::State& st) {
  const size_t n = size_t(kBatch) * st.range(0);
  const float p = st.range(1) / 10.0f;
  auto x = rand_vec(n, -1, 1, 13);
  std::vector<float> y(n);
  std::vector<uint8_t> mask(n);
  uint64_t seed_offset[2] = {42, 0};
  for (auto _ : st) {
    agf::dropout_forward<float>(agf::Cpu{}, y.data(), mask.data(), x.data(), n, p, seed_offset);
    seed_offset[1] += n;
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(st, 1.0 * n, n * (2.0 * sizeof(float) + 1), kBatch);
}
void BM_dropout_backward(benchmark::State& st) {
  const size_t n = size_t(kBatch) * st.range(0);
  const float p = st.range(1) / 10.0f;
  auto x = rand_vec(n, -1, 1, 13), dy = rand_vec(n, -1, 1, 14);
  std::vector<float> y(n), dx(n, 0.f);
  std::vector<uint8_t> mask(n);
  const uint64_t seed_offset[2] = {42, 0};
  agf::dropout_forward<float>(agf::Cpu{}, y.data(), mask.data(), x.data(), n, p, seed_offset);
  for (auto _ : st) {
    agf::dropout_backward<float>(agf::Cpu{}, dx.data(), dy.data(), mask.data(), n, p);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(st, 2.0 * n, n * (3.0 * sizeof(float) + 1), kBatch);
}
BENCHMARK(BM_dropout_forward)->ArgNames({"CHW", "p10"})->Args({32 * 32 * 21, 1})->Args({256, 5})->UseRealTime();
BENCHMARK(BM_dropout_backward)->ArgNames({"CHW", "p10"})->Args({32 * 32 * 21, 1})->Args({256, 5})->UseRealTime();

// ---- global average pooling over conv7's output (256 @ 4x2). FLOPs: 1 add per input element.
void BM_gap_forward(benchmark::State& st) {
  const int C = 256, HW = 8;
  auto x = rand_vec(size_t(kBatch) * C * HW, -1, 1, 15);
  std::vector<float> y(size_t(kBatch) * C);
  for (auto _ : st) {
    agf::gap_forward<float>(agf::Cpu{}, y.data(), x.data(), kBatch, C, HW);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(st, 1.0 * x.size(), (x.size() + y.size()) * sizeof(float), kBatch);
}
void BM_gap_backward(benchmark::State& st) {
  const int C = 256, HW = 8;
  auto dy = rand_vec(size_t(kBatch) * C, -1, 1, 16);
  std::vector<float> dx(size_t(kBatch) * C * HW, 0.f);
  for (auto _ : st) {
    agf::gap_backward<float>(agf::Cpu{}, dx.data(), dy.data(), kBatch, C, HW);
    benchmark::DoNotOptimize(dx.data());
  }
  set_rates(st, 1.0 * dx.size(), (2.0 * dx.size() + dy.size()) * sizeof(float), kBatch);
}
BENCHMARK(BM_gap_forward)->UseRealTime();
BENCHMARK(BM_gap_backward)->UseRealTime();

// ---- dense: args I, O (fc1 256->256, fc2 256->16). FLOPs: forward 2*N*I*O, backward 4*N*I*O (dx and dw).
void BM_dense_forward(benchmark::State& st) {
  const int I = st.range(0), O = st.range(1);
  auto x = rand_vec(size_t(kBatch) * I, -1, 1, 17), w = rand_vec(size_t(O) * I, -0.1f, 0.1f, 18),
       b = rand_vec(O, -1, 1, 19);
  std::vector<float> y(size_t(kBatch) * O);
  for (auto _ : st) {
    agf::dense_forward<float>(agf::Cpu{}, y.data(), x.data(), w.data(), b.data(), kBatch, I, O);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(st, 2.0 * kBatch * I * O, 0, kBatch);
}
void BM_dense_backward(benchmark::State& st) {
  const int I = st.range(0), O = st.range(1);
  auto x = rand_vec(size_t(kBatch) * I, -1, 1, 17), w = rand_vec(size_t(O) * I, -0.1f, 0.1f, 18);
  auto dy = rand_vec(size_t(kBatch) * O, -1, 1, 20);
  std::vector<float> dx(x.size(), 0.f), dw(w.size(), 0.f), db(O, 0.f);
  for (auto _ : st) {
    agf::dense_backward<float>(agf::Cpu{}, dx.data(), dw.data(), db.data(), dy.data(), x.data(), w.data(), kBatch, I,
                               O);
    benchmark::DoNotOptimize(dw.data());
  }
  set_rates(st, 4.0 * kBatch * I * O, 0, kBatch);
}
BENCHMARK(BM_dense_forward)->ArgNames({"I", "O"})->Args({256, 256})->Args({256, 16})->UseRealTime();
BENCHMARK(BM_dense_backward)->ArgNames({"I", "O"})->Args({256, 256})->Args({256, 16})->UseRealTime();

// ---- softmax + cross-entropy, 16 classes. Nominal FLOPs: forward 6/element (max, sub, exp, add, div, fma),
// backward 3/element.
void BM_softmax_xent_forward(benchmark::State& st) {
  const int K = st.range(0);
  auto z = rand_vec(size_t(kBatch) * K, -3, 3, 21), t = rand_vec(size_t(kBatch) * K, 0, 1, 22);
  std::vector<float> p(z.size());
  float loss = 0;
  for (auto _ : st) {
    agf::softmax_xent_forward<float>(agf::Cpu{}, p.data(), &loss, z.data(), t.data(), kBatch, K);
    benchmark::DoNotOptimize(loss);
  }
  set_rates(st, 6.0 * z.size(), 0, kBatch);
}
void BM_softmax_xent_backward(benchmark::State& st) {
  const int K = st.range(0);
  auto p = rand_vec(size_t(kBatch) * K, 0, 1, 23), t = rand_vec(size_t(kBatch) * K, 0, 1, 22);
  std::vector<float> dz(p.size(), 0.f);
  const float dloss = 1.0f;
  for (auto _ : st) {
    agf::softmax_xent_backward<float>(agf::Cpu{}, dz.data(), p.data(), t.data(), kBatch, K, &dloss);
    benchmark::DoNotOptimize(dz.data());
  }
  set_rates(st, 3.0 * p.size(), 0, kBatch);
}
BENCHMARK(BM_softmax_xent_forward)->ArgName("K")->Arg(16)->UseRealTime();
BENCHMARK(BM_softmax_xent_backward)->ArgName("K")->Arg(16)->UseRealTime();

// ---- Adam over 0.57M parameters (the DCNN's size), with L2 on all of them. items = parameters.
// Nominal FLOPs: Adam 12/parameter, L2 2/parameter.
void BM_adam_update(benchmark::State& st) {
  const size_t n = st.range(0);
  auto p = rand_vec(n, -0.1f, 0.1f, 24), g = rand_vec(n, -1, 1, 25);
  std::vector<float> m(n, 0.f), v(n, 0.f);
  const float bc[2] = {0.1f, 0.001f};
  for (auto _ : st) {
    agf::adam_update<float>(agf::Cpu{}, p.data(), g.data(), m.data(), v.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, bc);
    benchmark::DoNotOptimize(p.data());
  }
  set_rates(st, 12.0 * n, 7.0 * n * sizeof(float), 0);
  st.SetItemsProcessed(static_cast<int64_t>(n) * st.iterations());
}
void BM_l2_grad(benchmark::State& st) {
  const size_t n = st.range(0);
  auto p = rand_vec(n, -0.1f, 0.1f, 24);
  std::vector<float> g(n, 0.f);
  for (auto _ : st) {
    agf::l2_grad<float>(agf::Cpu{}, g.data(), p.data(), n, 1e-4f);
    benchmark::DoNotOptimize(g.data());
  }
  set_rates(st, 2.0 * n, 3.0 * n * sizeof(float), 0);
  st.SetItemsProcessed(static_cast<int64_t>(n) * st.iterations());
}
BENCHMARK(BM_adam_update)->ArgName("params")->Arg(570000)->UseRealTime();
BENCHMARK(BM_l2_grad)->ArgName("params")->Arg(570000)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
