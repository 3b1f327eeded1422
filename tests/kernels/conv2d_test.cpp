// conv2d CPU: forward and both backward passes against a naive direct loop (5x5, 3x3, 1x1, odd and tiny sizes,
// float and double), and float64 central-difference gradient checks for x, w and b.
#include <gtest/gtest.h>

#include "kernels/conv2d.h"
#include "tests/kernels/gradcheck.h"

namespace agf::test {
namespace {

struct ConvShape {
  int N, C, H, W, K, R, S;
};
void PrintTo(const ConvShape& s, std::ostream* os) {
  *os << "N" << s.N << " C" << s.C << " H" << s.H << " W" << s.W << " K" << s.K << " " << s.R << "x" << s.S;
}

double xat(const std::vector<double>& x, const ConvShape& s, int n, int c, int h, int w) {
  if (h < 0 || h >= s.H || w < 0 || w >= s.W) return 0.0;
  return x[((static_cast<size_t>(n) * s.C + c) * s.H + h) * s.W + w];
}

// Direct definition: y(n,k,h,w) = b(k) + sum_{c,r,s} w(k,c,r,s) x(n,c,h+r-R/2,w+s-S/2).
std::vector<double> naive_forward(const std::vector<double>& x, const std::vector<double>& w,
                                  const std::vector<double>& b, const ConvShape& s) {
  std::vector<double> y(static_cast<size_t>(s.N) * s.K * s.H * s.W);
  for (int n = 0; n < s.N; ++n)
    for (int k = 0; k < s.K; ++k)
      for (int h = 0; h < s.H; ++h)
        for (int ww = 0; ww < s.W; ++ww) {
          double acc = b.empty() ? 0.0 : b[k];
          for (int c = 0; c < s.C; ++c)
            for (int r = 0; r < s.R; ++r)
              for (int q = 0; q < s.S; ++q)
                acc += w[((static_cast<size_t>(k) * s.C + c) * s.R + r) * s.S + q] *
                       xat(x, s, n, c, h + r - s.R / 2, ww + q - s.S / 2);
          y[((static_cast<size_t>(n) * s.K + k) * s.H + h) * s.W + ww] = acc;
        }
  return y;
}

// Direct adjoints of the same sum: dx(n,c,ih,iw) collects dy(n,k,h,w) w(k,c,r,s) for ih = h+r-R/2, iw = w+s-S/2;
// dw(k,c,r,s) = sum dy(n,k,h,w) x(n,c,h+r-R/2,w+s-S/2); db(k) = sum dy(n,k,:,:).
void naive_backward(std::vector<double>& dx, std::vector<double>& dw, std::vector<double>& db,
                    const std::vector<double>& dy, const std::vector<double>& x, const std::vector<double>& w,
                    const ConvShape& s) {
  dx.assign(x.size(), 0.0);
  dw.assign(w.size(), 0.0);
  db.assign(s.K, 0.0);
  for (int n = 0; n < s.N; ++n)
    for (int k = 0; k < s.K; ++k)
      for (int h = 0; h < s.H; ++h)
        for (int ww = 0; ww < s.W; ++ww) {
          const double g = dy[((static_cast<size_t>(n) * s.K + k) * s.H + h) * s.W + ww];
          db[k] += g;
          for (int c = 0; c < s.C; ++c)
            for (int r = 0; r < s.R; ++r)
              for (int q = 0; q < s.S; ++q) {
                const int ih = h + r - s.R / 2, iw = ww + q - s.S / 2;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                const size_t wi = ((static_cast<size_t>(k) * s.C + c) * s.R + r) * s.S + q;
                const size_t xi = ((static_cast<size_t>(n) * s.C + c) * s.H + ih) * s.W + iw;
                dx[xi] += g * w[wi];
                dw[wi] += g * x[xi];
              }
        }
}

size_t xsize(const ConvShape& s) { return static_cast<size_t>(s.N) * s.C * s.H * s.W; }
size_t ysize(const ConvShape& s) { return static_cast<size_t>(s.N) * s.K * s.H * s.W; }
size_t wsize(const ConvShape& s) { return static_cast<size_t>(s.K) * s.C * s.R * s.S; }

// Runs the kernels in precision T on the double inputs; gradients start from `g0` values to prove accumulation.
template <typename T> void run_kernels(std::vector<double>& y, std::vector<double>& dx, std::vector<double>& dw,
                                       std::vector<double>& db, const std::vector<double>& x,
                                       const std::vector<double>& w, const std::vector<double>& b,
                                       const std::vector<double>& dy, const ConvShape& s, double g0) {
  std::vector<T> tx(x.begin(), x.end()), tw(w.begin(), w.end()), tb(b.begin(), b.end()), tdy(dy.begin(), dy.end());
  std::vector<T> ty(ysize(s), T(7)), tdx(xsize(s), T(g0)), tdw(wsize(s), T(g0)), tdb(s.K, T(g0));
  conv2d_forward<T>(Cpu{}, ty.data(), tx.data(), tw.data(), tb.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  conv2d_backward_data<T>(Cpu{}, tdx.data(), tdy.data(), tw.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  conv2d_backward_filter<T>(Cpu{}, tdw.data(), tdb.data(), tdy.data(), tx.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  y.assign(ty.begin(), ty.end());
  dx.clear();
  for (T v : tdx) dx.push_back(v - g0);
  dw.clear();
  for (T v : tdw) dw.push_back(v - g0);
  db.clear();
  for (T v : tdb) db.push_back(v - g0);
}

class ConvVsNaive : public ::testing::TestWithParam<ConvShape> {};

// Double: exact up to summation order (elementwise rel tol 1e-12). Float: sums of <= a few hundred float32
// products, error against the tensor's scale (max_scaled_err) tol 1e-5.
TEST_P(ConvVsNaive, ForwardAndBackwardMatchDirectLoop) {
  const ConvShape s = GetParam();
  Rng rng(1234 + s.R * 10 + s.H);
  const auto x = rng.uniform_vec(xsize(s), -1, 1), w = rng.uniform_vec(wsize(s), -1, 1);
  const auto b = rng.uniform_vec(s.K, -1, 1), dy = rng.uniform_vec(ysize(s), -1, 1);
  const auto y_ref = naive_forward(x, w, b, s);
  std::vector<double> dx_ref, dw_ref, db_ref;
  naive_backward(dx_ref, dw_ref, db_ref, dy, x, w, s);

  std::vector<double> y, dx, dw, db;
  run_kernels<double>(y, dx, dw, db, x, w, b, dy, s, 0.25);
  EXPECT_LE(max_rel_err(y, y_ref), 1e-12) << "forward f64";
  EXPECT_LE(max_rel_err(dx, dx_ref), 1e-12) << "backward data f64";
  EXPECT_LE(max_rel_err(dw, dw_ref), 1e-12) << "backward filter f64";
  EXPECT_LE(max_rel_err(db, db_ref), 1e-12) << "bias grad f64";

  run_kernels<float>(y, dx, dw, db, x, w, b, dy, s, 0.25);
  EXPECT_LE(max_scaled_err(y, y_ref), 1e-5) << "forward f32";
  EXPECT_LE(max_scaled_err(dx, dx_ref), 1e-5) << "backward data f32";
  EXPECT_LE(max_scaled_err(dw, dw_ref), 1e-5) << "backward filter f32";
  EXPECT_LE(max_scaled_err(db, db_ref), 1e-5) << "bias grad f32";
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvVsNaive,
                         ::testing::Values(ConvShape{3, 2, 9, 7, 4, 5, 5},    // 5x5, odd H/W
                                           ConvShape{5, 3, 11, 13, 6, 3, 3},  // 3x3, odd, N > threads
                                           ConvShape{4, 5, 3, 5, 7, 1, 1},    // 1x1 (no im2col)
                                           ConvShape{2, 2, 2, 3, 3, 5, 5},    // kernel larger than the image
                                           ConvShape{1, 1, 1, 1, 2, 3, 3},    // single pixel
                                           ConvShape{3, 2, 6, 8, 3, 3, 5},    // non-square odd kernel
                                           ConvShape{2, 4, 16, 10, 8, 3, 3},
                                           ConvShape{70, 3, 2, 3, 4, 3, 3},    // grouped GEMMs, partial group
                                           ConvShape{37, 6, 1, 2, 5, 1, 1},    // grouped 1x1
                                           ConvShape{64, 8, 4, 2, 8, 3, 3}));  // conv6-like plane

TEST(ConvForward, NullBiasMeansZeroBias) {
  const ConvShape s{2, 2, 5, 4, 3, 3, 3};
  Rng rng(5);
  const auto x = rng.uniform_vec(xsize(s), -1, 1), w = rng.uniform_vec(wsize(s), -1, 1);
  const auto y_ref = naive_forward(x, w, {}, s);
  std::vector<double> y(ysize(s), 99.0);
  conv2d_forward<double>(Cpu{}, y.data(), x.data(), w.data(), nullptr, s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  EXPECT_LE(max_rel_err(y, y_ref), 1e-12);
  std::vector<double> dw(wsize(s), 0.0), dy = rng.uniform_vec(ysize(s), -1, 1);
  conv2d_backward_filter<double>(Cpu{}, dw.data(), nullptr, dy.data(), x.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  std::vector<double> dx_ref, dw_ref, db_ref;
  naive_backward(dx_ref, dw_ref, db_ref, dy, x, w, s);
  EXPECT_LE(max_rel_err(dw, dw_ref), 1e-12);
}

// Finite differences, float64: L = sum r*y, r fixed random. h = 1e-5 (L is linear in each of x, w, b, so the
// truncation error is zero and only rounding ~ 1e-16 * |L| / h remains); tol 1e-6.
void conv_gradcheck(const ConvShape& s, const std::string& tag) {
  Rng rng(99 + s.R);
  auto x = rng.uniform_vec(xsize(s), -1, 1), w = rng.uniform_vec(wsize(s), -1, 1), b = rng.uniform_vec(s.K, -1, 1);
  const auto r = rng.uniform_vec(ysize(s), -1, 1);
  std::vector<double> y(ysize(s));
  auto loss = [&] {
    conv2d_forward<double>(Cpu{}, y.data(), x.data(), w.data(), b.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
    return dot(r, y);
  };
  std::vector<double> dx(xsize(s), 0.5), dw(wsize(s), -0.5), db(s.K, 1.0);
  const auto dx0 = dx, dw0 = dw, db0 = db;
  conv2d_backward_data<double>(Cpu{}, dx.data(), r.data(), w.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  conv2d_backward_filter<double>(Cpu{}, dw.data(), db.data(), r.data(), x.data(), s.N, s.C, s.H, s.W, s.K, s.R, s.S);
  expect_grad("conv2d_" + tag + "/dx", x, delta(dx, dx0), loss, 1e-5, 1e-6);
  expect_grad("conv2d_" + tag + "/dw", w, delta(dw, dw0), loss, 1e-5, 1e-6);
  expect_grad("conv2d_" + tag + "/db", b, delta(db, db0), loss, 1e-5, 1e-6);
}

TEST(ConvGradcheck, Kernel5x5) { conv_gradcheck({2, 2, 7, 5, 3, 5, 5}, "5x5"); }
TEST(ConvGradcheck, Kernel3x3) { conv_gradcheck({2, 3, 6, 5, 4, 3, 3}, "3x3"); }
TEST(ConvGradcheck, Kernel1x1) { conv_gradcheck({3, 4, 3, 3, 5, 1, 1}, "1x1"); }

// The reduction over threads must not depend on how often it runs: a second identical call adds the same amount.
TEST(ConvBackwardFilter, RepeatableAndAccumulating) {
  const ConvShape s{8, 3, 12, 9, 5, 3, 3};
  Rng rng(3);
  const auto x = rng.uniform_vec(xsize(s), -1, 1), dy = rng.uniform_vec(ysize(s), -1, 1);
  std::vector<double> once(wsize(s), 0.0), twice(wsize(s), 0.0), db1(s.K, 0.0), db2(s.K, 0.0);
  conv2d_backward_filter<double>(Cpu{}, once.data(), db1.data(), dy.data(), x.data(), s.N, s.C, s.H, s.W, s.K, s.R,
                                 s.S);
  for (int i = 0; i < 2; ++i)
    conv2d_backward_filter<double>(Cpu{}, twice.data(), db2.data(), dy.data(), x.data(), s.N, s.C, s.H, s.W, s.K, s.R,
                                   s.S);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_DOUBLE_EQ(twice[i], 2 * once[i]) << i;
  for (int k = 0; k < s.K; ++k) EXPECT_DOUBLE_EQ(db2[k], 2 * db1[k]) << k;
}

}  // namespace
}  // namespace agf::test
