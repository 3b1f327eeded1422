// Batch norm CPU: float64 gradient checks in training mode over (N,C,H,W) and features (N,C), running
// statistics against a hand computation (momentum, unbiased variance), inference mode, float32 agreement.
#include <gtest/gtest.h>

#include "kernels/batchnorm.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

// L = sum r*y through training-mode BN (batch statistics). h = 1e-5 (L is smooth, O(h^2) ~ 1e-10 relative);
// tol 1e-6. With a non-uniform r the input gradient is far from zero, so the check is meaningful.
void bn_gradcheck(int N, int C, int HW, const std::string& tag) {
  Rng rng(11 + HW);
  const size_t n = static_cast<size_t>(N) * C * HW;
  auto x = rng.uniform_vec(n, -2, 2), gamma = rng.uniform_vec(C, 0.5, 1.5), beta = rng.uniform_vec(C, -1, 1);
  const auto r = rng.uniform_vec(n, -1, 1);
  std::vector<double> y(n), mean(C), invstd(C), rm(C, 0.0), rv(C, 1.0);
  const double eps = 1e-3, mom = 0.01;
  auto loss = [&] {
    batchnorm_forward_train<double>(Cpu{}, y.data(), mean.data(), invstd.data(), rm.data(), rv.data(), x.data(),
                                    gamma.data(), beta.data(), N, C, HW, mom, eps);
    return dot(r, y);
  };
  loss();
  std::vector<double> dx(n, 0.3), dg(C, -0.2), db(C, 0.1);
  const auto dx0 = dx, dg0 = dg, db0 = db;
  batchnorm_backward<double>(Cpu{}, dx.data(), dg.data(), db.data(), r.data(), x.data(), gamma.data(), mean.data(),
                             invstd.data(), N, C, HW);
  expect_grad("batchnorm_" + tag + "/dx", x, delta(dx, dx0), loss, 1e-5, 1e-6);
  expect_grad("batchnorm_" + tag + "/dgamma", gamma, delta(dg, dg0), loss, 1e-5, 1e-6);
  expect_grad("batchnorm_" + tag + "/dbeta", beta, delta(db, db0), loss, 1e-5, 1e-6);
}

TEST(BatchNormGradcheck, ChannelsNCHW) { bn_gradcheck(3, 4, 6, "nchw"); }
TEST(BatchNormGradcheck, FeaturesNC) { bn_gradcheck(7, 5, 1, "features"); }

TEST(BatchNorm, TrainingStatisticsAndRunningUpdateByHand) {
  // N=2, C=2, HW=3. Channel 0 takes {1,2,3} and {4,5,6}: mean 3.5, biased var 17.5/6, unbiased 17.5/5.
  const std::vector<double> x = {1, 2, 3, 10, 10, 10, 4, 5, 6, 10, 10, 10};
  const std::vector<double> gamma = {2.0, 1.0}, beta = {0.5, -1.0};
  std::vector<double> y(12), mean(2), invstd(2), rm = {0.5, 1.0}, rv = {2.0, 3.0};
  const double mom = 0.01, eps = 1e-3;
  batchnorm_forward_train<double>(Cpu{}, y.data(), mean.data(), invstd.data(), rm.data(), rv.data(), x.data(),
                                  gamma.data(), beta.data(), 2, 2, 3, mom, eps);
  const double var0 = 17.5 / 6, unb0 = 17.5 / 5;
  EXPECT_NEAR(mean[0], 3.5, 1e-15);
  EXPECT_NEAR(invstd[0], 1 / std::sqrt(var0 + eps), 1e-15);
  EXPECT_NEAR(rm[0], 0.99 * 0.5 + 0.01 * 3.5, 1e-15);
  EXPECT_NEAR(rv[0], 0.99 * 2.0 + 0.01 * unb0, 1e-15);
  // Channel 1 is constant 10: var 0, xhat 0, y = beta; running var decays toward 0.
  EXPECT_NEAR(mean[1], 10.0, 1e-15);
  EXPECT_NEAR(rm[1], 0.99 * 1.0 + 0.01 * 10.0, 1e-15);
  EXPECT_NEAR(rv[1], 0.99 * 3.0, 1e-15);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(y[3 + i], -1.0, 1e-15);
  EXPECT_NEAR(y[0], 2.0 * (1 - 3.5) / std::sqrt(var0 + eps) + 0.5, 1e-14);
  EXPECT_NEAR(y[8], 2.0 * (6 - 3.5) / std::sqrt(var0 + eps) + 0.5, 1e-14);
}

TEST(BatchNorm, InferenceUsesRunningStatistics) {
  Rng rng(8);
  const int N = 3, C = 4, HW = 5;
  const size_t n = N * C * HW;
  const auto x = rng.uniform_vec(n, -2, 2), gamma = rng.uniform_vec(C, 0.5, 1.5), beta = rng.uniform_vec(C, -1, 1);
  const auto rm = rng.uniform_vec(C, -0.5, 0.5), rv = rng.uniform_vec(C, 0.5, 2.0);
  std::vector<double> y(n);
  batchnorm_forward_infer<double>(Cpu{}, y.data(), x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), N, C, HW,
                                  1e-3);
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < C; ++c)
      for (int j = 0; j < HW; ++j) {
        const size_t o = (i * C + c) * HW + j;
        EXPECT_NEAR(y[o], gamma[c] * (x[o] - rm[c]) / std::sqrt(rv[c] + 1e-3) + beta[c], 1e-13);
      }
}

// float32 against float64 on the same inputs, error against the tensor's scale: statistics accumulate in double,
// so only the float32 rounding of inputs and outputs remains (tol 1e-5).
TEST(BatchNorm, Float32MatchesFloat64) {
  Rng rng(21);
  const int N = 16, C = 8, HW = 37;
  const size_t n = N * C * HW;
  const auto x = rng.uniform_vec(n, -3, 5), gamma = rng.uniform_vec(C, 0.5, 1.5), beta = rng.uniform_vec(C, -1, 1);
  const auto dy = rng.uniform_vec(n, -1, 1);
  std::vector<double> y(n), mean(C), invstd(C), rm(C, 0.0), rv(C, 1.0), dx(n, 0.0), dg(C, 0.0), db(C, 0.0);
  batchnorm_forward_train<double>(Cpu{}, y.data(), mean.data(), invstd.data(), rm.data(), rv.data(), x.data(),
                                  gamma.data(), beta.data(), N, C, HW, 0.01, 1e-3);
  batchnorm_backward<double>(Cpu{}, dx.data(), dg.data(), db.data(), dy.data(), x.data(), gamma.data(), mean.data(),
                             invstd.data(), N, C, HW);
  auto fx = to_float(x), fg = to_float(gamma), fb = to_float(beta), fdy = to_float(dy);
  std::vector<float> fy(n), fm(C), fi(C), frm(C, 0.f), frv(C, 1.f), fdx(n, 0.f), fdg(C, 0.f), fdb(C, 0.f);
  batchnorm_forward_train<float>(Cpu{}, fy.data(), fm.data(), fi.data(), frm.data(), frv.data(), fx.data(), fg.data(),
                                 fb.data(), N, C, HW, 0.01, 1e-3);
  batchnorm_backward<float>(Cpu{}, fdx.data(), fdg.data(), fdb.data(), fdy.data(), fx.data(), fg.data(), fm.data(),
                            fi.data(), N, C, HW);
  EXPECT_LE(max_scaled_err(to_double(fy), y), 1e-5);
  EXPECT_LE(max_scaled_err(to_double(frv), rv), 1e-5);
  EXPECT_LE(max_scaled_err(to_double(fdx), dx), 1e-5);
  EXPECT_LE(max_scaled_err(to_double(fdg), dg), 1e-5);
  EXPECT_LE(max_scaled_err(to_double(fdb), db), 1e-5);
}

}  // namespace
}  // namespace agf::test
