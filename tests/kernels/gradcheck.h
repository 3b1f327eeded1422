// Shared helpers for the kernel tests: a seeded RNG and gtest wrappers. Central differences and the
// relative error are the library's (engine/gradcheck.h, also behind `agf gradcheck`).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/gradcheck.h"

namespace agf::test {

using agf::max_rel_err;
using agf::numeric_grad;

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g); }
  double normal() { return std::normal_distribution<double>(0.0, 1.0)(g); }
  std::vector<double> uniform_vec(size_t n, double lo, double hi) {
    std::vector<double> v(n);
    for (auto& e : v) e = uniform(lo, hi);
    return v;
  }
  std::vector<double> normal_vec(size_t n) {
    std::vector<double> v(n);
    for (auto& e : v) e = normal();
    return v;
  }
};

// Float32 against a float64 reference: max_i |a_i - ref_i| / max_i |ref_i| (error against the tensor's scale,
// as cancellation makes single small entries of a float32 sum meaningless to compare one by one).
inline double max_scaled_err(const std::vector<double>& a, const std::vector<double>& ref) {
  double scale = 1e-300, worst = 0;
  for (double v : ref) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - ref[i]));
  return worst / scale;
}

// Compares an analytic gradient with central differences, prints `max_rel_err <op> <value>` and checks tol.
inline double expect_grad(const std::string& op, std::vector<double>& p, const std::vector<double>& analytic,
                          const std::function<double()>& loss, double h, double tol) {
  EXPECT_EQ(p.size(), analytic.size()) << op;
  const std::vector<double> num = numeric_grad(p, loss, h);
  const double err = max_rel_err(analytic, num);
  std::printf("max_rel_err %s %.3e\n", op.c_str(), err);
  EXPECT_LE(err, tol) << op << ": analytic vs central differences (h = " << h << ")";
  return err;
}

// sum_i r_i * y_i: the loss whose upstream gradient is the fixed, non-uniform r.
inline double dot(const std::vector<double>& r, const std::vector<double>& y) {
  double s = 0;
  for (size_t i = 0; i < r.size(); ++i) s += r[i] * y[i];
  return s;
}

// after - before: the amount a backward call accumulated into a gradient buffer that started at `before`.
inline std::vector<double> delta(const std::vector<double>& after, const std::vector<double>& before) {
  std::vector<double> d(after.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = after[i] - before[i];
  return d;
}

inline std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }
inline std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace agf::test
