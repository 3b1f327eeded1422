// ELU, max-pool, global average pooling: float64 gradient checks (inputs away from ELU's kink, tie-free
// max-pool inputs), max-pool geometry (2x1, 2x2, odd H/W floored, first maximum on ties), float32 agreement.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>

#include "kernels/elu.h"
#include "kernels/gap.h"
#include "kernels/maxpool.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

// Inputs with |x| >= 0.1, so x +- h never crosses the kink at 0. h = 1e-4: truncation h^2/6 ~ 2e-9 relative
// (|f'''/f'| = 1 for x < 0), rounding ~ 1e-16 * |L| / h ~ 1e-11; tol 1e-6.
TEST(EluGradcheck, AwayFromKink) {
  Rng rng(4);
  const size_t n = 200;
  std::vector<double> x(n);
  for (auto& v : x) v = (rng.uniform(0, 1) < 0.5 ? -1 : 1) * rng.uniform(0.1, 3.0);
  const auto r = rng.uniform_vec(n, -1, 1);
  std::vector<double> y(n);
  auto loss = [&] {
    elu_forward<double>(Cpu{}, y.data(), x.data(), n, 1.0);
    return dot(r, y);
  };
  loss();
  for (size_t i = 0; i < n; ++i) EXPECT_DOUBLE_EQ(y[i], x[i] > 0 ? x[i] : std::expm1(x[i]));
  std::vector<double> dx(n, 0.5);
  const auto dx0 = dx;
  elu_backward<double>(Cpu{}, dx.data(), r.data(), y.data(), n, 1.0);
  expect_grad("elu/dx", x, delta(dx, dx0), loss, 1e-4, 1e-6);
}

// The float32 forward uses its own vectorised expm1: within 2 ulp of expm1 computed in double and rounded, from
// tiny negatives (no cancellation) to the saturation at -1; infinities and NaN behave.
TEST(Elu, Float32Expm1WithinTwoUlp) {
  std::vector<float> x;
  for (float v = -1e-30f; v > -100.0f; v *= 1.0007f) x.push_back(v);
  for (int i = 0; i <= 200000; ++i) x.push_back(-90.0f * i / 200000.0f);
  x.push_back(std::numeric_limits<float>::denorm_min() * -1.0f);
  std::vector<float> y(x.size());
  elu_forward<float>(Cpu{}, y.data(), x.data(), x.size(), 1.0f);
  int worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float ref = static_cast<float>(std::expm1(static_cast<double>(x[i])));
    int32_t a, b;
    std::memcpy(&a, &y[i], 4);
    std::memcpy(&b, &ref, 4);
    // Both <= 0: same sign (or +-0), so the bit distance is the ulp distance; int64 so -0.0 vs +0.0 cannot overflow.
    const int64_t d = std::llabs(int64_t(a & 0x7fffffff) - int64_t(b & 0x7fffffff));
    worst = std::max(worst, int(std::min<int64_t>(d, 1 << 30)));
  }
  std::printf("elu_f32_expm1_max_ulp %d\n", worst);
  EXPECT_LE(worst, 2);
  const std::vector<float> special = {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                                      std::numeric_limits<float>::quiet_NaN(), 0.0f, 2.5f};
  std::vector<float> ys(special.size());
  elu_forward<float>(Cpu{}, ys.data(), special.data(), special.size(), 0.5f);
  EXPECT_EQ(ys[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(ys[1], -0.5f);
  EXPECT_TRUE(std::isnan(ys[2]));
  EXPECT_EQ(ys[3], 0.0f);
  EXPECT_EQ(ys[4], 2.5f);
}

TEST(Elu, Float32MatchesFloat64) {
  Rng rng(5);
  const size_t n = 100000;  // above the OpenMP threshold
  const auto x = rng.uniform_vec(n, -5, 5), dy = rng.uniform_vec(n, -1, 1);
  std::vector<double> y(n), dx(n, 0.0);
  elu_forward<double>(Cpu{}, y.data(), x.data(), n, 1.0);
  elu_backward<double>(Cpu{}, dx.data(), dy.data(), y.data(), n, 1.0);
  auto fx = to_float(x), fdy = to_float(dy);
  std::vector<float> fy(n), fdx(n, 0.f);
  elu_forward<float>(Cpu{}, fy.data(), fx.data(), n, 1.0f);
  elu_backward<float>(Cpu{}, fdx.data(), fdy.data(), fy.data(), n, 1.0f);
  EXPECT_LE(max_scaled_err(to_double(fy), y), 1e-6);
  EXPECT_LE(max_scaled_err(to_double(fdx), dx), 1e-6);
}

// Tie-free: a shuffled ramp with spacing 0.01 >> h, so no perturbation changes an argmax; piecewise linear, so
// h = 1e-5 has no truncation error. tol 1e-6.
void maxpool_gradcheck(int kh, int kw, const std::string& tag) {
  const int N = 2, C = 3, H = 7, W = 5, Ho = H / kh, Wo = W / kw;
  const size_t n = N * C * H * W, m = N * C * Ho * Wo;
  std::vector<double> x(n);
  std::iota(x.begin(), x.end(), 0.0);
  Rng rng(6);
  std::shuffle(x.begin(), x.end(), rng.g);
  for (auto& v : x) v *= 0.01;
  const auto r = rng.uniform_vec(m, -1, 1);
  std::vector<double> y(m);
  std::vector<int32_t> am(m);
  auto loss = [&] {
    maxpool_forward<double>(Cpu{}, y.data(), am.data(), x.data(), N, C, H, W, kh, kw);
    return dot(r, y);
  };
  loss();
  // Independent reference for values and argmax, and the floor: rows/cols past Ho*kh, Wo*kw are never read.
  for (int p = 0; p < N * C; ++p)
    for (int oh = 0; oh < Ho; ++oh)
      for (int ow = 0; ow < Wo; ++ow) {
        double best = -1e300;
        int bi = -1;
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j) {
            const int idx = (oh * kh + i) * W + ow * kw + j;
            if (x[p * H * W + idx] > best) best = x[p * H * W + idx], bi = idx;
          }
        EXPECT_EQ(y[(p * Ho + oh) * Wo + ow], best);
        EXPECT_EQ(am[(p * Ho + oh) * Wo + ow], bi);
      }
  std::vector<double> dx(n, 0.25);
  const auto dx0 = dx;
  maxpool_backward<double>(Cpu{}, dx.data(), r.data(), am.data(), N, C, H, W, kh, kw);
  for (int p = 0; p < N * C; ++p)  // the floored last row (and column for 2x2) gets no gradient
    for (int w = 0; w < W; ++w) EXPECT_EQ(dx[p * H * W + (H - 1) * W + w], 0.25);
  expect_grad("maxpool_" + tag + "/dx", x, delta(dx, dx0), loss, 1e-5, 1e-6);
}

TEST(MaxPoolGradcheck, Pool2x1OddH) { maxpool_gradcheck(2, 1, "2x1"); }
TEST(MaxPoolGradcheck, Pool2x2OddHW) { maxpool_gradcheck(2, 2, "2x2"); }

TEST(MaxPool, TiesTakeFirstInRowMajorOrder) {
  const std::vector<float> x = {1, 3, 3, 0,   // row 0
                                3, 2, 1, 3};  // row 1
  std::vector<float> y(2);
  std::vector<int32_t> am(2);
  maxpool_forward<float>(Cpu{}, y.data(), am.data(), x.data(), 1, 1, 2, 4, 2, 2);
  EXPECT_EQ(am[0], 1);  // 3 at (0,1) before 3 at (1,0)
  EXPECT_EQ(am[1], 2);  // 3 at (0,2) before 3 at (1,3)
  EXPECT_EQ(y[0], 3.f);
  EXPECT_EQ(y[1], 3.f);
}

// GAP is linear: h = 1e-5, tol 1e-6.
TEST(GapGradcheck, Linear) {
  const int N = 3, C = 4, HW = 10;
  Rng rng(7);
  auto x = rng.uniform_vec(N * C * HW, -1, 1);
  const auto r = rng.uniform_vec(N * C, -1, 1);
  std::vector<double> y(N * C);
  auto loss = [&] {
    gap_forward<double>(Cpu{}, y.data(), x.data(), N, C, HW);
    return dot(r, y);
  };
  loss();
  for (int p = 0; p < N * C; ++p) {
    double s = 0;
    for (int i = 0; i < HW; ++i) s += x[p * HW + i];
    EXPECT_NEAR(y[p], s / HW, 1e-15);
  }
  std::vector<double> dx(x.size(), -1.0);
  const auto dx0 = dx;
  gap_backward<double>(Cpu{}, dx.data(), r.data(), N, C, HW);
  expect_grad("gap/dx", x, delta(dx, dx0), loss, 1e-5, 1e-6);
}

// float32 against float64: max-pool selects the same elements (inputs distinct in float32 too), GAP sums in
// double, so both agree to float32 rounding of the values (tol 1e-6 of the scale).
TEST(PoolGap, Float32MatchesFloat64) {
  const int N = 64, C = 16, H = 9, W = 7;
  const size_t n = size_t(N) * C * H * W, m = size_t(N) * C * (H / 2) * (W / 2);
  Rng rng(9);
  const auto x = rng.uniform_vec(n, -4, 4), dy = rng.uniform_vec(m, -1, 1);
  std::vector<double> y(m), dx(n, 0.0), g(N * C);
  std::vector<int32_t> am(m), fam(m);
  maxpool_forward<double>(Cpu{}, y.data(), am.data(), x.data(), N, C, H, W, 2, 2);
  maxpool_backward<double>(Cpu{}, dx.data(), dy.data(), am.data(), N, C, H, W, 2, 2);
  gap_forward<double>(Cpu{}, g.data(), x.data(), N, C, H * W);
  auto fx = to_float(x), fdy = to_float(dy);
  std::vector<float> fy(m), fdx(n, 0.f), fg(N * C);
  maxpool_forward<float>(Cpu{}, fy.data(), fam.data(), fx.data(), N, C, H, W, 2, 2);
  maxpool_backward<float>(Cpu{}, fdx.data(), fdy.data(), fam.data(), N, C, H, W, 2, 2);
  gap_forward<float>(Cpu{}, fg.data(), fx.data(), N, C, H * W);
  EXPECT_EQ(am, fam);
  EXPECT_LE(max_scaled_err(to_double(fy), y), 1e-6);
  EXPECT_LE(max_scaled_err(to_double(fdx), dx), 1e-6);
  EXPECT_LE(max_scaled_err(to_double(fg), g), 1e-6);
}

// The float32 2x1 and 2x2 pools have their own vectorised code (kernels/maxpool_cpu.cpp): they must select what the
// general loop selects, on ties (values quantised to a few levels), NaN inputs and widths that are not a multiple
// of the vector length (43, as the DCNN's first pool; 21).
TEST(MaxPool, Float32FastPathsMatchTheGeneralLoop) {
  for (const auto& [kh, kw, H, W] : std::vector<std::array<int, 4>>{{2, 1, 9, 43}, {2, 2, 7, 21}, {2, 1, 4, 5}}) {
    const int N = 3, C = 2, Ho = H / kh, Wo = W / kw;
    Rng rng(uint64_t(11 + W));
    std::vector<float> x(size_t(N) * C * H * W);
    for (auto& v : x) v = float(std::floor(rng.uniform(0, 4)));  // many ties
    x[5] = std::nanf("");
    x[W + 6] = std::nanf("");
    std::vector<float> y(size_t(N) * C * Ho * Wo);
    std::vector<int32_t> am(y.size());
    maxpool_forward<float>(Cpu{}, y.data(), am.data(), x.data(), N, C, H, W, kh, kw);
    for (int p = 0; p < N * C; ++p)
      for (int oh = 0; oh < Ho; ++oh)
        for (int ow = 0; ow < Wo; ++ow) {
          const float* xp = x.data() + size_t(p) * H * W;
          int best = oh * kh * W + ow * kw;
          for (int i = 0; i < kh; ++i)
            for (int j = 0; j < kw; ++j) {
              const int idx = (oh * kh + i) * W + ow * kw + j;
              if (xp[idx] > xp[best]) best = idx;
            }
          const size_t o = size_t(p) * Ho * Wo + size_t(oh) * Wo + ow;
          ASSERT_EQ(am[o], best) << kh << "x" << kw << " W " << W << " plane " << p << " (" << oh << "," << ow << ")";
          if (std::isnan(xp[best]))
            EXPECT_TRUE(std::isnan(y[o]));
          else
            EXPECT_EQ(y[o], xp[best]);
        }
  }
}

}  // namespace
}  // namespace agf::test
