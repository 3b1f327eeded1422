// CPU/CUDA parity for the library-backed ops (cuDNN conv2d, batch norm, ELU; cuBLAS dense) at the DCNN's real
// shapes, forward and backward. Gradient buffers start from random values on both sides, so the tests also check
// that backward ACCUMULATES (cuDNN/cuBLAS beta = 1); the overwrite mode (accumulate = false, beta = 0) starts
// from NaN. References: the CPU functions in float64.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/elu.h"
#include "tests/cuda/cuda_test_util.h"

namespace agf::cudatest {
namespace {

struct ConvShape {
  const char* name;
  int N, C, H, W, K, R;
};
// The DCNN's seven convolutions (kernels/README, paper-notes), at batch 8-16 to keep the float64 reference fast.
const ConvShape kConvs[] = {
    {"conv1", 8, 1, 128, 43, 16, 5},  {"conv2", 8, 16, 64, 43, 32, 3}, {"conv3", 16, 32, 32, 21, 64, 3},
    {"conv4", 16, 64, 16, 10, 64, 3}, {"conv5", 16, 64, 8, 5, 128, 3}, {"conv6", 16, 128, 4, 2, 256, 3},
    {"conv7", 16, 256, 4, 2, 256, 1},
};

void conv_parity(const ConvShape& s, bool deterministic, bool tf32 = false) {
  CudaCtxOptions opt;
  opt.deterministic = deterministic;
  opt.tf32 = tf32;
  CudaCtx ctx(opt);
  const int N = s.N, C = s.C, H = s.H, W = s.W, K = s.K, R = s.R, S = s.R;
  const size_t nx = size_t(N) * C * H * W, ny = size_t(N) * K * H * W, nw = size_t(K) * C * R * S;
  auto x = randn(nx, 1), w = randn(nw, 2, 1.0f / std::sqrt(float(C * R * S))), b = randn(K, 3);
  auto dy = randn(ny, 4), dx0 = randn(nx, 5), dw0 = randn(nw, 6), db0 = randn(K, 7);

  auto dX = to_device(x), dW = to_device(w), dB = to_device(b), dDY = to_device(dy);
  DeviceBuffer<float> dY(ny);
  auto dDX = to_device(dx0), dDW = to_device(dw0), dDB = to_device(db0);
  conv2d_forward(ctx, dY.get(), dX.get(), dW.get(), dB.get(), N, C, H, W, K, R, S);
  conv2d_backward_data(ctx, dDX.get(), dDY.get(), dW.get(), N, C, H, W, K, R, S);
  conv2d_backward_filter(ctx, dDW.get(), dDB.get(), dDY.get(), dX.get(), N, C, H, W, K, R, S);
  ctx.synchronize();

  auto x64 = to_f64(x), w64 = to_f64(w), b64 = to_f64(b), dy64 = to_f64(dy);
  std::vector<double> y64(ny), dx64 = to_f64(dx0), dw64 = to_f64(dw0), db64 = to_f64(db0);
  conv2d_forward<double>(Cpu{}, y64.data(), x64.data(), w64.data(), b64.data(), N, C, H, W, K, R, S);
  conv2d_backward_data<double>(Cpu{}, dx64.data(), dy64.data(), w64.data(), N, C, H, W, K, R, S);
  conv2d_backward_filter<double>(Cpu{}, dw64.data(), db64.data(), dy64.data(), x64.data(), N, C, H, W, K, R, S);

  EXPECT_TRUE(close(to_host(dY), y64, tf32 ? "tf32" : "conv2d_forward", str(s.name, " y")));
  EXPECT_TRUE(close(to_host(dDX), dx64, tf32 ? "tf32" : "conv2d_backward_data", str(s.name, " dx")));
  EXPECT_TRUE(close(to_host(dDW), dw64, tf32 ? "tf32" : "conv2d_backward_filter", str(s.name, " dw")));
  EXPECT_TRUE(close(to_host(dDB), db64, "conv2d_backward_filter", str(s.name, " db (FP32 reduction)")));
}

TEST(CudaParity, Conv2dEveryDcnnLayer) {
  AGF_REQUIRE_CUDA();
  for (const ConvShape& s : kConvs) conv_parity(s, false);
}

TEST(CudaParity, Conv2dDeterministicAlgorithms) {
  AGF_REQUIRE_CUDA();
  for (const ConvShape& s : kConvs) conv_parity(s, true);
}

// TF32 is an explicit option: only its (looser) tolerance differs.
TEST(CudaParity, Conv2dTf32) {
  AGF_REQUIRE_CUDA();
  for (const ConvShape& s : kConvs) conv_parity(s, false, true);
}

// Deterministic mode: two backward-filter passes give bitwise identical dw (independent of the CPU).
TEST(CudaDeterminism, Conv2dBackwardFilterBitwise) {
  AGF_REQUIRE_CUDA();
  CudaCtxOptions opt;
  opt.deterministic = true;
  CudaCtx ctx(opt);
  const int N = 64, C = 16, H = 64, W = 43, K = 32, R = 3;
  auto dX = to_device(randn(size_t(N) * C * H * W, 11)), dDY = to_device(randn(size_t(N) * K * H * W, 12));
  std::vector<float> first;
  for (int run = 0; run < 2; ++run) {
    DeviceBuffer<float> dW(size_t(K) * C * R * R), dB(K);
    cuda_memset_async(ctx, dW.get(), 0, dW.bytes());
    cuda_memset_async(ctx, dB.get(), 0, dB.bytes());
    conv2d_backward_filter(ctx, dW.get(), dB.get(), dDY.get(), dX.get(), N, C, H, W, K, R, R);
    ctx.synchronize();
    auto h = to_host(dW);
    if (run == 0)
      first = h;
    else
      EXPECT_EQ(0, std::memcmp(first.data(), h.data(), h.size() * sizeof(float))) << "dw differs between runs";
  }
}

void bn_parity(int N, int C, int HW, const char* name) {
  CudaCtx ctx;
  const size_t n = size_t(N) * C * HW;
  const double momentum = 0.01, eps = 1e-3;
  auto x = randn(n, 21, 2.0f), gamma = uniform(C, 22, 0.5f, 1.5f), beta = randn(C, 23);
  for (size_t i = 0; i < n; ++i) x[i] += 0.5f * float((i / HW) % C);  // a different mean per channel
  auto rm = randn(C, 24), rv = uniform(C, 25, 0.5f, 2.0f), dy = randn(n, 26);
  auto dx0 = randn(n, 27), dg0 = randn(C, 28), db0 = randn(C, 29);

  auto dX = to_device(x), dG = to_device(gamma), dBt = to_device(beta), dRM = to_device(rm), dRV = to_device(rv);
  auto dDY = to_device(dy), dDX = to_device(dx0), dDG = to_device(dg0), dDB = to_device(db0);
  DeviceBuffer<float> dY(n), dMean(C), dInv(C), dYi(n);
  batchnorm_forward_train(ctx, dY.get(), dMean.get(), dInv.get(), dRM.get(), dRV.get(), dX.get(), dG.get(), dBt.get(),
                          N, C, HW, momentum, eps);
  batchnorm_backward(ctx, dDX.get(), dDG.get(), dDB.get(), dDY.get(), dX.get(), dG.get(), dMean.get(), dInv.get(), N, C,
                     HW);
  batchnorm_forward_infer(ctx, dYi.get(), dX.get(), dG.get(), dBt.get(), dRM.get(), dRV.get(), N, C, HW, eps);
  ctx.synchronize();

  auto x64 = to_f64(x), g64 = to_f64(gamma), b64 = to_f64(beta), dy64 = to_f64(dy);
  std::vector<double> y64(n), mean64(C), inv64(C), rm64 = to_f64(rm), rv64 = to_f64(rv), yi64(n);
  std::vector<double> dx64 = to_f64(dx0), dg64 = to_f64(dg0), db64 = to_f64(db0);
  batchnorm_forward_train<double>(Cpu{}, y64.data(), mean64.data(), inv64.data(), rm64.data(), rv64.data(), x64.data(),
                                  g64.data(), b64.data(), N, C, HW, momentum, eps);
  batchnorm_backward<double>(Cpu{}, dx64.data(), dg64.data(), db64.data(), dy64.data(), x64.data(), g64.data(),
                             mean64.data(), inv64.data(), N, C, HW);
  batchnorm_forward_infer<double>(Cpu{}, yi64.data(), x64.data(), g64.data(), b64.data(), rm64.data(), rv64.data(), N,
                                  C, HW, eps);

  EXPECT_TRUE(close(to_host(dY), y64, "batchnorm", str(name, " y")));
  EXPECT_TRUE(close(to_host(dMean), mean64, "batchnorm", str(name, " saved mean")));
  EXPECT_TRUE(close(to_host(dInv), inv64, "batchnorm", str(name, " saved invstd")));
  EXPECT_TRUE(close(to_host(dRM), rm64, "batchnorm", str(name, " running mean")));
  EXPECT_TRUE(close(to_host(dRV), rv64, "batchnorm", str(name, " running var (unbiased)")));
  EXPECT_TRUE(close(to_host(dYi), yi64, "batchnorm", str(name, " inference y")));
  EXPECT_TRUE(close(to_host(dDX), dx64, "batchnorm_backward", str(name, " dx")));
  EXPECT_TRUE(close(to_host(dDG), dg64, "batchnorm_backward", str(name, " dgamma")));
  EXPECT_TRUE(close(to_host(dDB), db64, "batchnorm_backward", str(name, " dbeta")));
}

// accumulate = false (the tape's first writer of dx): dx overwritten (cuDNN beta = 0), from a NaN-filled buffer,
// as the CPU does; the parameter gradients still accumulate.
TEST(CudaParity, ConvAndBatchNormBackwardOverwriteDx) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  {
    const ConvShape& s = kConvs[2];
    const int N = s.N, C = s.C, H = s.H, W = s.W, K = s.K, R = s.R, S = s.R;
    const size_t nx = size_t(N) * C * H * W, ny = size_t(N) * K * H * W, nw = size_t(K) * C * R * S;
    auto w = randn(nw, 2, 1.0f / std::sqrt(float(C * R * S))), dy = randn(ny, 4);
    auto dW = to_device(w), dDY = to_device(dy), dDX = to_device(std::vector<float>(nx, nan));
    conv2d_backward_data(ctx, dDX.get(), dDY.get(), dW.get(), N, C, H, W, K, R, S, false);
    ctx.synchronize();
    auto w64 = to_f64(w), dy64 = to_f64(dy);
    std::vector<double> dx64(nx, std::nan(""));
    conv2d_backward_data<double>(Cpu{}, dx64.data(), dy64.data(), w64.data(), N, C, H, W, K, R, S, false);
    EXPECT_TRUE(close(to_host(dDX), dx64, "conv2d_backward_data", str(s.name, " dx (overwrite)")));
  }
  {
    const int N = 16, C = 64, HW = 16 * 10;
    const size_t n = size_t(N) * C * HW;
    const double momentum = 0.01, eps = 1e-3;
    auto x = randn(n, 21, 2.0f), gamma = uniform(C, 22, 0.5f, 1.5f), beta = randn(C, 23), dy = randn(n, 26);
    auto rm = randn(C, 24), rv = uniform(C, 25, 0.5f, 2.0f), dg0 = randn(C, 28), db0 = randn(C, 29);
    auto dX = to_device(x), dG = to_device(gamma), dBt = to_device(beta), dRM = to_device(rm), dRV = to_device(rv);
    auto dDY = to_device(dy), dDX = to_device(std::vector<float>(n, nan)), dDG = to_device(dg0), dDB = to_device(db0);
    DeviceBuffer<float> dY(n), dMean(C), dInv(C);
    batchnorm_forward_train(ctx, dY.get(), dMean.get(), dInv.get(), dRM.get(), dRV.get(), dX.get(), dG.get(), dBt.get(),
                            N, C, HW, momentum, eps);
    batchnorm_backward(ctx, dDX.get(), dDG.get(), dDB.get(), dDY.get(), dX.get(), dG.get(), dMean.get(), dInv.get(), N,
                       C, HW, false);
    ctx.synchronize();
    auto x64 = to_f64(x), g64 = to_f64(gamma), b64 = to_f64(beta), dy64 = to_f64(dy);
    std::vector<double> y64(n), mean64(C), inv64(C), rm64 = to_f64(rm), rv64 = to_f64(rv);
    std::vector<double> dx64(n, std::nan("")), dg64 = to_f64(dg0), db64 = to_f64(db0);
    batchnorm_forward_train<double>(Cpu{}, y64.data(), mean64.data(), inv64.data(), rm64.data(), rv64.data(),
                                    x64.data(), g64.data(), b64.data(), N, C, HW, momentum, eps);
    batchnorm_backward<double>(Cpu{}, dx64.data(), dg64.data(), db64.data(), dy64.data(), x64.data(), g64.data(),
                               mean64.data(), inv64.data(), N, C, HW, false);
    EXPECT_TRUE(close(to_host(dDX), dx64, "batchnorm_backward", "bn4 dx (overwrite)"));
    EXPECT_TRUE(close(to_host(dDG), dg64, "batchnorm_backward", "bn4 dgamma (still accumulated)"));
    EXPECT_TRUE(close(to_host(dDB), db64, "batchnorm_backward", "bn4 dbeta (still accumulated)"));
  }
}

TEST(CudaParity, BatchNormDcnnShapes) {
  AGF_REQUIRE_CUDA();
  bn_parity(16, 32, 64 * 43, "bn2 (after conv2)");
  bn_parity(16, 64, 16 * 10, "bn4 (after conv4)");
  bn_parity(64, 256, 4 * 2, "bn7 (after conv7)");
  bn_parity(64, 256, 1, "bn_gap (features, HW=1)");
  bn_parity(8, 256, 1, "bn_fc1 (features, batch 8)");
}

TEST(CudaParity, EluForwardBackward) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  const size_t n = 16 * 16 * 128 * 43 + 7;  // conv1's output at batch 16, plus an odd tail
  const float alpha = 1.0f;
  auto x = randn(n, 31, 2.0f), dy = randn(n, 32), dx0 = randn(n, 33);
  auto dX = to_device(x), dDY = to_device(dy), dDX = to_device(dx0);
  DeviceBuffer<float> dY(n);
  elu_forward(ctx, dY.get(), dX.get(), n, alpha);
  elu_backward(ctx, dDX.get(), dDY.get(), dY.get(), n, alpha);
  ctx.synchronize();
  auto y = to_host(dY);
  std::vector<double> y64(n), dx64 = to_f64(dx0);
  auto x64 = to_f64(x), dy64 = to_f64(dy);
  elu_forward<double>(Cpu{}, y64.data(), x64.data(), n, double(alpha));
  EXPECT_TRUE(close(y, y64, "elu", "elu y"));
  // Backward from the GPU's own y (the op's contract), so only the backward arithmetic is compared.
  auto ygpu64 = to_f64(y);
  elu_backward<double>(Cpu{}, dx64.data(), dy64.data(), ygpu64.data(), n, double(alpha));
  EXPECT_TRUE(close(to_host(dDX), dx64, "elementwise", "elu dx"));
}

void dense_parity(int N, int I, int O, const char* name, bool tf32 = false) {
  CudaCtxOptions opt;
  opt.tf32 = tf32;
  CudaCtx ctx(opt);
  auto x = randn(size_t(N) * I, 41), w = randn(size_t(O) * I, 42, 1.0f / std::sqrt(float(I))), b = randn(O, 43);
  auto dy = randn(size_t(N) * O, 44), dx0 = randn(size_t(N) * I, 45), dw0 = randn(size_t(O) * I, 46),
       db0 = randn(O, 47);
  auto dX = to_device(x), dW = to_device(w), dB = to_device(b), dDY = to_device(dy);
  auto dDX = to_device(dx0), dDW = to_device(dw0), dDB = to_device(db0);
  DeviceBuffer<float> dY(size_t(N) * O);
  dense_forward(ctx, dY.get(), dX.get(), dW.get(), dB.get(), N, I, O);
  dense_backward(ctx, dDX.get(), dDW.get(), dDB.get(), dDY.get(), dX.get(), dW.get(), N, I, O);
  ctx.synchronize();
  auto x64 = to_f64(x), w64 = to_f64(w), b64 = to_f64(b), dy64 = to_f64(dy);
  std::vector<double> y64(size_t(N) * O), dx64 = to_f64(dx0), dw64 = to_f64(dw0), db64 = to_f64(db0);
  dense_forward<double>(Cpu{}, y64.data(), x64.data(), w64.data(), b64.data(), N, I, O);
  dense_backward<double>(Cpu{}, dx64.data(), dw64.data(), db64.data(), dy64.data(), x64.data(), w64.data(), N, I, O);
  const char* op = tf32 ? "tf32" : "dense";
  EXPECT_TRUE(close(to_host(dY), y64, op, str(name, " y")));
  EXPECT_TRUE(close(to_host(dDX), dx64, op, str(name, " dx")));
  EXPECT_TRUE(close(to_host(dDW), dw64, op, str(name, " dw")));
  EXPECT_TRUE(close(to_host(dDB), db64, "dense", str(name, " db")));
}

TEST(CudaParity, DenseDcnnAndMlpShapes) {
  AGF_REQUIRE_CUDA();
  dense_parity(64, 256, 256, "fc1");
  dense_parity(64, 256, 16, "fc2 (16 genres)");
  dense_parity(8, 256, 40, "fc2 (40 factors, batch 8)");
  dense_parity(64, 1024, 1024, "MLP hidden");
  dense_parity(37, 129, 17, "odd sizes");
  dense_parity(64, 256, 256, "fc1 TF32", true);
}

}  // namespace
}  // namespace agf::cudatest
