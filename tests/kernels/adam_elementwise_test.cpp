// Adam against its closed form (constant gradient: every step moves lr * g / (|g| + eps)) and against explicit
// moment sums for a varying gradient; L2 weight-decay gradient by finite differences; the non-finite count.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/adam.h"
#include "kernels/elementwise.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

constexpr float kLr = 1e-3f, kB1 = 0.9f, kB2 = 0.999f, kEps = 1e-8f;

// With g constant, m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2, so after bias correction every step subtracts
// lr * g / (|g| + eps): p_T = p_0 - T * lr * g / (|g| + eps). The only approximation is bc1, bc2 rounded to float
// (relative 6e-8), hence tol 1e-6 of the total move. In float32 each step's p -= u also rounds p by up to half
// an ulp of |p| <= 1 (6e-8 / 2), in the same direction every step: add steps * 6e-8.
template <typename T> void adam_constant_gradient() {
  const size_t n = 100;
  const int steps = 25;
  Rng rng(61);
  const auto p0 = rng.uniform_vec(n, -1, 1), g = rng.uniform_vec(n, -2, 2);
  std::vector<T> p(p0.begin(), p0.end()), gg(g.begin(), g.end()), m(n, T(0)), v(n, T(0));
  for (int t = 1; t <= steps; ++t) {
    const float bc[2] = {static_cast<float>(1 - std::pow(double(kB1), t)),
                         static_cast<float>(1 - std::pow(double(kB2), t))};
    adam_update<T>(Cpu{}, p.data(), gg.data(), m.data(), v.data(), n, kLr, kB1, kB2, kEps, bc);
  }
  for (size_t i = 0; i < n; ++i) {
    const double gi = static_cast<T>(g[i]);
    const double move = steps * double(kLr) * gi / (std::fabs(gi) + double(kEps));
    const double expect = static_cast<T>(p0[i]) - move;
    EXPECT_NEAR(p[i], expect, 1e-6 * std::fabs(move) + (sizeof(T) == 4 ? steps * 6e-8 : 1e-15)) << i;
    EXPECT_NEAR(m[i], (1 - std::pow(double(kB1), steps)) * gi, 1e-6 * std::fabs(gi)) << i;
  }
}

TEST(Adam, ConstantGradientClosedFormDouble) { adam_constant_gradient<double>(); }
TEST(Adam, ConstantGradientClosedFormFloat) { adam_constant_gradient<float>(); }

// Varying gradients g_1..g_T: m_T = (1-b1) sum_i b1^(T-i) g_i, v_T = (1-b2) sum_i b2^(T-i) g_i^2, and
// p_T = p_0 - lr * sum_t mhat_t / (sqrt(vhat_t) + eps), each computed from these sums, not by recursion.
TEST(Adam, VaryingGradientMatchesExplicitSums) {
  const size_t n = 20;
  const int steps = 6;
  Rng rng(62);
  std::vector<double> p = rng.uniform_vec(n, -1, 1);
  const std::vector<double> p0 = p;
  std::vector<std::vector<double>> gs;
  for (int t = 0; t < steps; ++t) gs.push_back(rng.uniform_vec(n, -1, 1));
  std::vector<double> m(n, 0.0), v(n, 0.0);
  const double b1 = kB1, b2 = kB2;
  std::vector<double> expect = p0;
  for (int t = 1; t <= steps; ++t) {
    const float bc1 = static_cast<float>(1 - std::pow(b1, t)), bc2 = static_cast<float>(1 - std::pow(b2, t));
    const float bc[2] = {bc1, bc2};
    adam_update<double>(Cpu{}, p.data(), gs[t - 1].data(), m.data(), v.data(), n, kLr, kB1, kB2, kEps, bc);
    for (size_t i = 0; i < n; ++i) {
      double ms = 0, vs = 0;
      for (int j = 1; j <= t; ++j) {
        ms += (1 - b1) * std::pow(b1, t - j) * gs[j - 1][i];
        vs += (1 - b2) * std::pow(b2, t - j) * gs[j - 1][i] * gs[j - 1][i];
      }
      EXPECT_NEAR(m[i], ms, 1e-14);
      EXPECT_NEAR(v[i], vs, 1e-14);
      expect[i] -= double(kLr) * (ms / double(bc1)) / (std::sqrt(vs / double(bc2)) + double(kEps));
    }
  }
  for (size_t i = 0; i < n; ++i) EXPECT_NEAR(p[i], expect[i], 1e-12) << i;
}

// L2: loss = coeff * sum p^2, so the gradient is 2 coeff p. The loss is quadratic: central differences are exact
// up to rounding; h = 1e-5, tol 1e-6.
TEST(L2Gradcheck, WeightDecay) {
  const size_t n = 50;
  const float coeff = 1e-3f;
  Rng rng(63);
  auto p = rng.uniform_vec(n, -1, 1);
  std::vector<double> g(n, 0.7);
  const auto g0 = g;
  l2_grad<double>(Cpu{}, g.data(), p.data(), n, coeff);
  auto loss = [&] {
    double s = 0;
    for (double v : p) s += v * v;
    return double(coeff) * s;
  };
  expect_grad("l2/dw", p, delta(g, g0), loss, 1e-5, 1e-6);
}

TEST(Elementwise, CountNonfinite) {
  const size_t n = 100003;
  std::vector<float> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = 2.0f * (1.5f + static_cast<float>(i % 7));
  int count = -1;
  count_nonfinite<float>(Cpu{}, &count, y.data(), n);
  EXPECT_EQ(count, 0);
  y[5] = std::numeric_limits<float>::quiet_NaN();
  y[n - 1] = std::numeric_limits<float>::infinity();
  y[70000] = -std::numeric_limits<float>::infinity();
  count_nonfinite<float>(Cpu{}, &count, y.data(), n);
  EXPECT_EQ(count, 3);
  std::vector<double> d = {1.0, std::nan(""), 3.0};
  count_nonfinite<double>(Cpu{}, &count, d.data(), d.size());
  EXPECT_EQ(count, 1);
}

}  // namespace
}  // namespace agf::test
