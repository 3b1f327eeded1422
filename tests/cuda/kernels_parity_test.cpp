// CPU/CUDA parity for the custom kernels: global average pooling, max-pool (tie-free inputs, exact argmax),
// dropout (masks bitwise equal to the CPU's Philox stream), softmax + cross-entropy with soft targets, Adam with
// device-side bias corrections, L2 decay and the non-finite count. Gradients start non-zero to check accumulation;
// the backward kernels' overwrite mode (accumulate = false) starts from NaN to check that every element is written.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "kernels/adam.h"
#include "kernels/batchnorm.h"
#include "kernels/elu.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/gap.h"
#include "kernels/maxpool.h"
#include "kernels/softmax_xent.h"
#include "tests/cuda/cuda_test_util.h"

namespace agf::cudatest {
namespace {

TEST(CudaParity, GlobalAveragePooling) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  struct {
    int N, C, HW;
  } shapes[] = {{64, 256, 8}, {256, 256, 8}, {16, 64, 16 * 10}, {3, 5, 43 * 128}};
  for (auto s : shapes) {
    const size_t nx = size_t(s.N) * s.C * s.HW, ny = size_t(s.N) * s.C;
    auto x = randn(nx, 51), dy = randn(ny, 52), dx0 = randn(nx, 53);
    auto dX = to_device(x), dDY = to_device(dy), dDX = to_device(dx0);
    DeviceBuffer<float> dY(ny);
    gap_forward(ctx, dY.get(), dX.get(), s.N, s.C, s.HW);
    gap_backward(ctx, dDX.get(), dDY.get(), s.N, s.C, s.HW);
    ctx.synchronize();
    auto x64 = to_f64(x), dy64 = to_f64(dy);
    std::vector<double> y64(ny), dx64 = to_f64(dx0);
    gap_forward<double>(Cpu{}, y64.data(), x64.data(), s.N, s.C, s.HW);
    gap_backward<double>(Cpu{}, dx64.data(), dy64.data(), s.N, s.C, s.HW);
    EXPECT_TRUE(close(to_host(dY), y64, "gap", str("gap y HW=", s.HW)));
    EXPECT_TRUE(close(to_host(dDX), dx64, "elementwise", str("gap dx HW=", s.HW)));
  }
}

TEST(CudaParity, MaxPoolExactArgmax) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  // The DCNN's pools: (2,1) after conv1, then (2,2) with odd widths (floor).
  struct {
    int N, C, H, W, kh, kw;
  } shapes[] = {{16, 16, 128, 43, 2, 1}, {16, 32, 64, 43, 2, 2}, {16, 64, 32, 21, 2, 2}, {64, 128, 8, 5, 2, 2}};
  for (auto s : shapes) {
    const int Ho = s.H / s.kh, Wo = s.W / s.kw;
    const size_t nx = size_t(s.N) * s.C * s.H * s.W, ny = size_t(s.N) * s.C * Ho * Wo;
    auto x = tie_free(nx, 61), dy = randn(ny, 62), dx0 = randn(nx, 63);
    auto dX = to_device(x), dDY = to_device(dy), dDX = to_device(dx0);
    DeviceBuffer<float> dY(ny);
    DeviceBuffer<int32_t> dArg(ny);
    maxpool_forward(ctx, dY.get(), dArg.get(), dX.get(), s.N, s.C, s.H, s.W, s.kh, s.kw);
    maxpool_backward(ctx, dDX.get(), dDY.get(), dArg.get(), s.N, s.C, s.H, s.W, s.kh, s.kw);
    ctx.synchronize();
    std::vector<float> y(ny), dx = dx0;
    std::vector<int32_t> arg(ny);
    maxpool_forward<float>(Cpu{}, y.data(), arg.data(), x.data(), s.N, s.C, s.H, s.W, s.kh, s.kw);
    maxpool_backward<float>(Cpu{}, dx.data(), dy.data(), arg.data(), s.N, s.C, s.H, s.W, s.kh, s.kw);
    EXPECT_EQ(to_host(dArg), arg) << "argmax differs, shape H=" << s.H << " W=" << s.W;
    EXPECT_TRUE(close(to_host(dY), y, "exact", "maxpool y"));
    EXPECT_TRUE(close(to_host(dDX), dx, "exact", "maxpool dx (one float add per element)"));
  }
}

TEST(CudaParity, DropoutMasksBitwiseEqualCpu) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const size_t n = 1000003;
  const float p = 0.5f;
  const uint64_t seed = 0x1234abcd9876ull;
  for (uint64_t offset : {uint64_t(0), uint64_t(3), uint64_t(1) << 33 | 1}) {  // aligned, unaligned, > 32 bits
    auto x = randn(n, 71), dy = randn(n, 72), dx0 = randn(n, 73);
    auto dX = to_device(x), dDY = to_device(dy), dDX = to_device(dx0);
    DeviceBuffer<float> dY(n);
    DeviceBuffer<uint8_t> dMask(n);
    const uint64_t so[2] = {seed, offset};
    auto dSO = to_device(std::vector<uint64_t>(so, so + 2));
    dropout_forward(ctx, dY.get(), dMask.get(), dX.get(), n, p, dSO.get());
    dropout_backward(ctx, dDX.get(), dDY.get(), dMask.get(), n, p);
    ctx.synchronize();
    std::vector<float> y(n), dx = dx0;
    std::vector<uint8_t> mask(n);
    dropout_forward<float>(Cpu{}, y.data(), mask.data(), x.data(), n, p, so);
    dropout_backward<float>(Cpu{}, dx.data(), dy.data(), mask.data(), n, p);
    auto gmask = to_host(dMask);
    ASSERT_EQ(0, std::memcmp(gmask.data(), mask.data(), n)) << "dropout masks differ at offset " << offset;
    size_t kept = 0;
    for (uint8_t m : mask) kept += m;
    EXPECT_NEAR(double(kept) / n, 1.0 - p, 0.005) << "keep rate";
    EXPECT_TRUE(close(to_host(dY), y, "elementwise", "dropout y"));
    EXPECT_TRUE(close(to_host(dDX), dx, "elementwise", "dropout dx"));
  }
}

// [seed, offset] read from device memory, rewritten between calls (as a graph replay does): same masks as the CPU.
TEST(CudaParity, DropoutDeviceSeedOffsetMatchesCpu) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const size_t n = 333333;
  const float p = 0.1f;
  auto x = randn(n, 74);
  auto dX = to_device(x);
  DeviceBuffer<float> dY(n);
  DeviceBuffer<uint8_t> dMask(n);
  DeviceBuffer<uint64_t> dSO(2);
  for (uint64_t offset : {uint64_t(0), uint64_t(5), uint64_t(123456789)}) {
    const uint64_t so[2] = {77, offset};
    cuda_memcpy_h2d(dSO.get(), so, sizeof(so));
    dropout_forward(ctx, dY.get(), dMask.get(), dX.get(), n, p, dSO.get());
    ctx.synchronize();
    std::vector<float> y(n);
    std::vector<uint8_t> mask(n);
    dropout_forward<float>(Cpu{}, y.data(), mask.data(), x.data(), n, p, so);
    auto gmask = to_host(dMask);
    ASSERT_EQ(0, std::memcmp(gmask.data(), mask.data(), n)) << "device-offset dropout masks differ at " << offset;
    EXPECT_TRUE(close(to_host(dY), y, "elementwise", "dropout (device seed) y"));
  }
}

TEST(CudaParity, SoftmaxCrossEntropySoftTargets) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  struct {
    int N, K;
  } shapes[] = {{64, 16}, {256, 40}, {7, 3}, {33, 64}};
  for (auto s : shapes) {
    const size_t n = size_t(s.N) * s.K;
    auto z = randn(n, 81, 3.0f), t = uniform(n, 82, 0.0f, 1.0f), dz0 = randn(n, 83);
    // Soft targets that do not all sum to one, so the sum_j t(n,j) term of the gradient is exercised.
    const float dloss = 0.7f;
    auto dZ = to_device(z), dT = to_device(t), dDZ = to_device(dz0), dDL = to_device(std::vector<float>{dloss});
    DeviceBuffer<float> dP(n), dL(1), dP2(n);
    softmax_xent_forward(ctx, dP.get(), dL.get(), dZ.get(), dT.get(), s.N, s.K);
    softmax_xent_backward(ctx, dDZ.get(), dP.get(), dT.get(), s.N, s.K, dDL.get());
    softmax_forward(ctx, dP2.get(), dZ.get(), s.N, s.K);
    ctx.synchronize();
    auto z64 = to_f64(z), t64 = to_f64(t);
    std::vector<double> p64(n), dz64 = to_f64(dz0), p2(n);
    double loss;
    softmax_xent_forward<double>(Cpu{}, p64.data(), &loss, z64.data(), t64.data(), s.N, s.K);
    const double dloss64 = dloss;
    softmax_xent_backward<double>(Cpu{}, dz64.data(), p64.data(), t64.data(), s.N, s.K, &dloss64);
    softmax_forward<double>(Cpu{}, p2.data(), z64.data(), s.N, s.K);
    EXPECT_TRUE(close(to_host(dP), p64, "softmax_xent", "probs"));
    EXPECT_TRUE(close(to_host(dL), std::vector<double>{loss}, "softmax_xent", "loss"));
    EXPECT_TRUE(close(to_host(dDZ), dz64, "softmax_xent", "dlogits"));
    EXPECT_TRUE(close(to_host(dP2), p2, "softmax_xent", "softmax alone"));
  }
}

TEST(CudaParity, AdamStepsWithDeviceBiasCorrections) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const size_t n = 1000003;
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, l2 = 1e-4f;
  auto p = randn(n, 91, 0.1f), m = std::vector<float>(n, 0.0f), v = std::vector<float>(n, 0.0f);
  auto dP = to_device(p), dM = to_device(m), dV = to_device(v);
  DeviceBuffer<float> dBC(2);
  std::vector<double> p64 = to_f64(p), m64(n, 0.0), v64(n, 0.0);
  for (int t = 1; t <= 3; ++t) {
    auto g = randn(n, 100 + t, 0.01f);
    auto dG = to_device(g);
    float bc[2] = {1.0f - std::pow(b1, float(t)), 1.0f - std::pow(b2, float(t))};
    cuda_memcpy_h2d(dBC.get(), bc, sizeof(bc));  // the step's corrections, written where the kernel reads them
    l2_grad(ctx, dG.get(), dP.get(), n, l2);
    adam_update(ctx, dP.get(), dG.get(), dM.get(), dV.get(), n, lr, b1, b2, eps, dBC.get());
    ctx.synchronize();
    std::vector<double> g64 = to_f64(g);
    l2_grad<double>(Cpu{}, g64.data(), p64.data(), n, l2);
    adam_update<double>(Cpu{}, p64.data(), g64.data(), m64.data(), v64.data(), n, lr, b1, b2, eps, bc);
  }
  EXPECT_TRUE(close(to_host(dP), p64, "adam", "parameters after 3 steps"));
  EXPECT_TRUE(close(to_host(dM), m64, "adam", "first moment"));
  EXPECT_TRUE(close(to_host(dV), v64, "adam", "second moment"));
}

TEST(CudaParity, NonFiniteCount) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const size_t n = 3000017;
  auto x = randn(n, 111);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  x[0] = nan;
  x[12345] = inf;
  x[n - 1] = -inf;
  x[777777] = nan;
  auto dX2 = to_device(x);
  DeviceBuffer<int> dCount(1);
  count_nonfinite(ctx, dCount.get(), dX2.get(), n);
  ctx.synchronize();
  EXPECT_EQ(to_host(dCount)[0], 4);
  int count = -1;
  count_nonfinite<float>(Cpu{}, &count, x.data(), n);
  EXPECT_EQ(count, 4);
}

// accumulate = false (the tape's first writer of a gradient): dx is overwritten, every element, as on the CPU.
// dx starts as NaN on both, so an element left unwritten, or read, shows.
TEST(CudaParity, BackwardOverwriteModeMatchesCpu) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  {  // ELU
    const size_t n = 100003;
    auto x = randn(n, 121), dy = randn(n, 122);
    std::vector<float> y(n), dx(n, nan);
    elu_forward<float>(Cpu{}, y.data(), x.data(), n, 1.0f);
    elu_backward<float>(Cpu{}, dx.data(), dy.data(), y.data(), n, 1.0f, false);
    auto dY = to_device(y), dDY = to_device(dy), dDX = to_device(std::vector<float>(n, nan));
    elu_backward(ctx, dDX.get(), dDY.get(), dY.get(), n, 1.0f, false);
    ctx.synchronize();
    EXPECT_TRUE(close(to_host(dDX), dx, "elementwise", "elu dx (overwrite)"));
  }
  {  // max-pool 2x2 on an odd plane: the last row and column are in no window and must be zeroed
    const int N = 3, C = 4, H = 9, W = 7, kh = 2, kw = 2;
    const size_t nx = size_t(N) * C * H * W, ny = size_t(N) * C * (H / kh) * (W / kw);
    auto x = randn(nx, 123), dy = randn(ny, 124);
    std::vector<float> y(ny), dx(nx, nan);
    std::vector<int32_t> arg(ny);
    maxpool_forward<float>(Cpu{}, y.data(), arg.data(), x.data(), N, C, H, W, kh, kw);
    maxpool_backward<float>(Cpu{}, dx.data(), dy.data(), arg.data(), N, C, H, W, kh, kw, false);
    auto dArg = to_device(arg);
    auto dDY = to_device(dy), dDX = to_device(std::vector<float>(nx, nan));
    maxpool_backward(ctx, dDX.get(), dDY.get(), dArg.get(), N, C, H, W, kh, kw, false);
    ctx.synchronize();
    EXPECT_TRUE(close(to_host(dDX), dx, "exact", "maxpool dx (overwrite)"));
  }
  {  // dropout
    const size_t n = 100003;
    const float p = 0.3f;
    const uint64_t so[2] = {5, 7};
    auto x = randn(n, 125), dy = randn(n, 126);
    std::vector<float> y(n), dx(n, nan);
    std::vector<uint8_t> mask(n);
    dropout_forward<float>(Cpu{}, y.data(), mask.data(), x.data(), n, p, so);
    dropout_backward<float>(Cpu{}, dx.data(), dy.data(), mask.data(), n, p, false);
    auto dMask = to_device(mask);
    auto dDY = to_device(dy), dDX = to_device(std::vector<float>(n, nan));
    dropout_backward(ctx, dDX.get(), dDY.get(), dMask.get(), n, p, false);
    ctx.synchronize();
    EXPECT_TRUE(close(to_host(dDX), dx, "elementwise", "dropout dx (overwrite)"));
  }
}

}  // namespace
}  // namespace agf::cudatest
