// Dense and softmax + cross-entropy CPU: float64 gradient checks (dense: x, w, b; softmax-xent: logits with
// soft targets), a direct-loop reference for dense, one-hot and large-logit cases, float32 agreement.
#include <gtest/gtest.h>

#include "kernels/dense.h"
#include "kernels/softmax_xent.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

// Dense is linear in each of x, w, b: h = 1e-5, no truncation error; tol 1e-6.
TEST(DenseGradcheck, InputWeightBias) {
  const int N = 4, I = 7, O = 5;
  Rng rng(31);
  auto x = rng.uniform_vec(N * I, -1, 1), w = rng.uniform_vec(O * I, -1, 1), b = rng.uniform_vec(O, -1, 1);
  const auto r = rng.uniform_vec(N * O, -1, 1);
  std::vector<double> y(N * O);
  auto loss = [&] {
    dense_forward<double>(Cpu{}, y.data(), x.data(), w.data(), b.data(), N, I, O);
    return dot(r, y);
  };
  loss();
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o) {
      double s = b[o];
      for (int i = 0; i < I; ++i) s += x[n * I + i] * w[o * I + i];
      EXPECT_NEAR(y[n * O + o], s, 1e-14);
    }
  std::vector<double> dx(N * I, 0.1), dw(O * I, 0.2), db(O, 0.3);
  const auto dx0 = dx, dw0 = dw, db0 = db;
  dense_backward<double>(Cpu{}, dx.data(), dw.data(), db.data(), r.data(), x.data(), w.data(), N, I, O);
  expect_grad("dense/dx", x, delta(dx, dx0), loss, 1e-5, 1e-6);
  expect_grad("dense/dw", w, delta(dw, dw0), loss, 1e-5, 1e-6);
  expect_grad("dense/db", b, delta(db, db0), loss, 1e-5, 1e-6);
}

TEST(Dense, NullableOutputsAndFloat32) {
  const int N = 64, I = 256, O = 16;  // the paper's fc2 shape
  Rng rng(32);
  const auto x = rng.uniform_vec(N * I, -1, 1), w = rng.uniform_vec(O * I, -0.1, 0.1),
             dy = rng.uniform_vec(N * O, -1, 1);
  std::vector<double> y(N * O), dw(O * I, 0.0), dx(N * I, 0.0);
  dense_forward<double>(Cpu{}, y.data(), x.data(), w.data(), nullptr, N, I, O);
  dense_backward<double>(Cpu{}, nullptr, dw.data(), nullptr, dy.data(), x.data(), w.data(), N, I, O);
  dense_backward<double>(Cpu{}, dx.data(), nullptr, nullptr, dy.data(), x.data(), w.data(), N, I, O);
  auto fx = to_float(x), fw = to_float(w), fdy = to_float(dy);
  std::vector<float> fy(N * O), fdw(O * I, 0.f), fdx(N * I, 0.f);
  dense_forward<float>(Cpu{}, fy.data(), fx.data(), fw.data(), nullptr, N, I, O);
  dense_backward<float>(Cpu{}, fdx.data(), fdw.data(), nullptr, fdy.data(), fx.data(), fw.data(), N, I, O);
  EXPECT_LE(max_scaled_err(to_double(fy), y), 1e-5);
  EXPECT_LE(max_scaled_err(to_double(fdw), dw), 1e-5);
  EXPECT_LE(max_scaled_err(to_double(fdx), dx), 1e-5);
}

std::vector<double> soft_targets(Rng& rng, int N, int K) {
  std::vector<double> t(N * K);
  for (int n = 0; n < N; ++n) {
    double s = 0;
    for (int k = 0; k < K; ++k) s += (t[n * K + k] = rng.uniform(0.0, 1.0));
    for (int k = 0; k < K; ++k) t[n * K + k] /= s;
  }
  return t;
}

// L = c * loss(z), c = dloss = 0.7 (the upstream gradient of a scalar). Smooth: h = 1e-5 (truncation ~1e-10),
// tol 1e-6. Soft targets: every row a random distribution.
TEST(SoftmaxXentGradcheck, SoftTargets) {
  const int N = 5, K = 7;
  Rng rng(41);
  auto z = rng.uniform_vec(N * K, -3, 3);
  const auto t = soft_targets(rng, N, K);
  std::vector<double> p(N * K);
  const double c = 0.7;
  auto loss = [&] {
    double l;
    softmax_xent_forward<double>(Cpu{}, p.data(), &l, z.data(), t.data(), N, K);
    return c * l;
  };
  const double L = loss() / c;
  double ref = 0;  // direct: -(1/N) sum t log(exp z / sum exp z)
  for (int n = 0; n < N; ++n) {
    double s = 0;
    for (int k = 0; k < K; ++k) s += std::exp(z[n * K + k]);
    for (int k = 0; k < K; ++k) ref -= t[n * K + k] * std::log(std::exp(z[n * K + k]) / s) / N;
  }
  EXPECT_NEAR(L, ref, 1e-13);
  std::vector<double> dz(N * K, -0.4);
  const auto dz0 = dz;
  softmax_xent_backward<double>(Cpu{}, dz.data(), p.data(), t.data(), N, K, &c);
  expect_grad("softmax_xent/dlogits", z, delta(dz, dz0), loss, 1e-5, 1e-6);
}

TEST(SoftmaxXent, OneHotAndLargeLogits) {
  const int N = 2, K = 3;
  const std::vector<double> z = {1000.0, 999.0, 998.0, -5.0, 0.0, 5.0};  // exp(1000) would overflow naively
  const std::vector<double> t = {0, 1, 0, 0, 0, 1};
  std::vector<double> p(N * K), ps(N * K);
  double L;
  softmax_xent_forward<double>(Cpu{}, p.data(), &L, z.data(), t.data(), N, K);
  softmax_forward<double>(Cpu{}, ps.data(), z.data(), N, K);
  const double lse0 = 1000.0 + std::log(1 + std::exp(-1.0) + std::exp(-2.0));
  const double lse1 = 5.0 + std::log(std::exp(-10.0) + std::exp(-5.0) + 1.0);
  EXPECT_NEAR(L, ((lse0 - 999.0) + (lse1 - 5.0)) / 2, 1e-12);
  for (int i = 0; i < N * K; ++i) EXPECT_EQ(p[i], ps[i]);
  EXPECT_NEAR(p[0], 1.0 / (1 + std::exp(-1.0) + std::exp(-2.0)), 1e-15);
  std::vector<float> fp(N * K);
  const auto fz = to_float(z), ft = to_float(t);
  float fL;
  softmax_xent_forward<float>(Cpu{}, fp.data(), &fL, fz.data(), ft.data(), N, K);
  EXPECT_NEAR(fL, L, 1e-5);
  EXPECT_LE(max_scaled_err(to_double(fp), p), 1e-6);
}

}  // namespace
}  // namespace agf::test
