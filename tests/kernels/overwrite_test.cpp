// The overwrite contract of the backward kernels (accumulate = false, the tape's first writer of a gradient):
// on a dx full of NaN, every element must be written, and bitwise equal to accumulating into zeros. Shapes
// with remainders (odd H and W under 2x2 pooling, a 3x3 and a 1x1 convolution over several samples, which take
// the grouped and the per-sample GEMM paths) so that an element a fast path skips would stay NaN.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/dropout.h"
#include "kernels/elu.h"
#include "kernels/maxpool.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

template <typename T> std::vector<T> randv(Rng& rng, size_t n, double lo = -1, double hi = 1) {
  std::vector<T> v(n);
  for (auto& e : v) e = T(rng.uniform(lo, hi));
  return v;
}

template <typename T> std::vector<T> nans(size_t n) { return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN()); }

// Bitwise, except that 0 + (-0) is +0 where the overwrite writes -0: both are a zero.
template <typename T> void expect_same(const std::vector<T>& over, const std::vector<T>& acc, const char* what) {
  ASSERT_EQ(over.size(), acc.size());
  for (size_t i = 0; i < over.size(); ++i) {
    ASSERT_FALSE(std::isnan(over[i])) << what << ": element " << i << " not written";
    if (over[i] == T(0) && acc[i] == T(0)) continue;
    ASSERT_EQ(std::memcmp(&over[i], &acc[i], sizeof(T)), 0)
        << what << ": element " << i << " " << over[i] << " vs " << acc[i];
  }
}

template <typename T> void check_all() {
  Rng rng(11);
  {  // ELU
    const size_t n = 4096 * 3 + 37;
    auto dy = randv<T>(rng, n), y = randv<T>(rng, n, -0.99, 2);
    auto over = nans<T>(n);
    std::vector<T> acc(n, T(0));
    elu_backward<T>(Cpu{}, over.data(), dy.data(), y.data(), n, T(1), false);
    elu_backward<T>(Cpu{}, acc.data(), dy.data(), y.data(), n, T(1), true);
    expect_same(over, acc, "elu");
  }
  for (auto [kh, kw] : {std::pair{2, 1}, std::pair{2, 2}, std::pair{3, 2}}) {  // max-pool, H and W odd
    const int N = 3, C = 5, H = 13, W = 9, Ho = H / kh, Wo = W / kw;
    auto x = randv<T>(rng, size_t(N) * C * H * W);
    std::vector<T> yv(size_t(N) * C * Ho * Wo);
    std::vector<int32_t> am(yv.size());
    maxpool_forward<T>(Cpu{}, yv.data(), am.data(), x.data(), N, C, H, W, kh, kw);
    auto dy = randv<T>(rng, yv.size());
    auto over = nans<T>(x.size());
    std::vector<T> acc(x.size(), T(0));
    maxpool_backward<T>(Cpu{}, over.data(), dy.data(), am.data(), N, C, H, W, kh, kw, false);
    maxpool_backward<T>(Cpu{}, acc.data(), dy.data(), am.data(), N, C, H, W, kh, kw, true);
    expect_same(over, acc, "maxpool");
  }
  {                          // dropout
    const size_t n = 70000;  // above the parallel threshold
    auto x = randv<T>(rng, n), dy = randv<T>(rng, n), y = x;
    std::vector<uint8_t> mask(n);
    dropout_forward<T>(Cpu{}, y.data(), mask.data(), x.data(), n, 0.3f, std::array<uint64_t, 2>{5, 0}.data());
    auto over = nans<T>(n);
    std::vector<T> acc(n, T(0));
    dropout_backward<T>(Cpu{}, over.data(), dy.data(), mask.data(), n, 0.3f, false);
    dropout_backward<T>(Cpu{}, acc.data(), dy.data(), mask.data(), n, 0.3f, true);
    expect_same(over, acc, "dropout");
  }
  {  // batch norm: dx overwritten, dgamma and dbeta still accumulate
    const int N = 4, C = 3, HW = 35;
    auto x = randv<T>(rng, size_t(N) * C * HW), dy = randv<T>(rng, x.size()), g = randv<T>(rng, C, 0.5, 1.5);
    std::vector<T> mean(C), invstd(C);
    for (int c = 0; c < C; ++c) {
      double s = 0, q = 0;
      for (int n = 0; n < N; ++n)
        for (int i = 0; i < HW; ++i) s += x[(size_t(n) * C + c) * HW + i];
      mean[c] = T(s / (N * HW));
      for (int n = 0; n < N; ++n)
        for (int i = 0; i < HW; ++i) q += std::pow(x[(size_t(n) * C + c) * HW + i] - mean[c], 2);
      invstd[c] = T(1 / std::sqrt(q / (N * HW) + 1e-5));
    }
    auto over = nans<T>(x.size());
    std::vector<T> acc(x.size(), T(0)), dg1(C, T(0.25)), db1(C, T(0.5)), dg2 = dg1, db2 = db1;
    batchnorm_backward<T>(Cpu{}, over.data(), dg1.data(), db1.data(), dy.data(), x.data(), g.data(), mean.data(),
                          invstd.data(), N, C, HW, false);
    batchnorm_backward<T>(Cpu{}, acc.data(), dg2.data(), db2.data(), dy.data(), x.data(), g.data(), mean.data(),
                          invstd.data(), N, C, HW, true);
    expect_same(over, acc, "batchnorm dx");
    expect_same(dg1, dg2, "batchnorm dgamma");
    expect_same(db1, db2, "batchnorm dbeta");
  }
  for (int RS : {3, 1}) {  // conv backward data: 8x5 planes are grouped into one GEMM, 33x7 are per sample
    for (auto [H, W] : {std::pair{8, 5}, std::pair{33, 7}}) {
      const int N = 5, C = 3, K = 4;
      auto w = randv<T>(rng, size_t(K) * C * RS * RS), dy = randv<T>(rng, size_t(N) * K * H * W);
      auto over = nans<T>(size_t(N) * C * H * W);
      std::vector<T> acc(over.size(), T(0));
      conv2d_backward_data<T>(Cpu{}, over.data(), dy.data(), w.data(), N, C, H, W, K, RS, RS, false);
      conv2d_backward_data<T>(Cpu{}, acc.data(), dy.data(), w.data(), N, C, H, W, K, RS, RS, true);
      expect_same(over, acc, RS == 3 ? "conv2d 3x3 dx" : "conv2d 1x1 dx");
    }
  }
}

TEST(BackwardOverwrite, EqualsAccumulatingIntoZerosFloat) { check_all<float>(); }
TEST(BackwardOverwrite, EqualsAccumulatingIntoZerosDouble) { check_all<double>(); }

}  // namespace
}  // namespace agf::test
