// Float64 finite-difference gradient checks (central differences against the tape's backward) for every
// op and for whole nets, as library code so that the tests and `agf gradcheck` run the same checker.
// Relative error (robust to tiny entries): err_i = |a_i - n_i| / max(|a_i|, |n_i|, 1e-3 * max_j |n_j|, 1e-12),
// i.e. each element is relative to itself unless it is tiny against the tensor's own gradient scale.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/tape.h"

namespace agf {

// Central differences of loss() with respect to every element of p (perturbed in place, then restored):
// dL/dp_i ~ (L(p_i + h) - L(p_i - h)) / 2h. Truncation O(h^2), rounding O(eps * |L| / h).
inline std::vector<double> numeric_grad(std::vector<double>& p, const std::function<double()>& loss, double h) {
  std::vector<double> g(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    const double keep = p[i];
    p[i] = keep + h;
    const double lp = loss();
    p[i] = keep - h;
    const double lm = loss();
    p[i] = keep;
    g[i] = (lp - lm) / (2 * h);
  }
  return g;
}

// The relative error above, elementwise; returns the maximum and (optionally) where it is.
inline double max_rel_err(const std::vector<double>& a, const std::vector<double>& n, size_t* where = nullptr) {
  double scale = 0;
  for (double v : n) scale = std::max(scale, std::fabs(v));
  const double floor = std::max(1e-3 * scale, 1e-12);
  double worst = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::fabs(a[i] - n[i]) / std::max({std::fabs(a[i]), std::fabs(n[i]), floor});
    if (e > worst) {
      worst = e;
      if (where) *where = i;
    }
  }
  return std::max(worst, 0.0);
}

// One checked tensor: an op's input or parameter, or a net's parameter tensor.
struct GradCheckRow {
  std::string op, tensor;
  int64_t checked = 0;  // elements compared
  double max_rel = 0, max_abs = 0, step = 0, tol = 0;
  bool pass = true;
  int64_t worst = -1;                // flat index of the worst element
  double analytic = 0, numeric = 0;  // at that element
  std::string describe() const;      // "conv2d w[17]: analytic 0.123 numeric 0.124, rel 1e-2 > tol 1e-6"
};

// The op checks: conv2d (5x5, 3x3, 1x1), dense, batchnorm (training mode, 4-D and 2-D), maxpool
// (tie-free inputs, 2x1 and 2x2), elu (inputs away from 0), gap, dropout (replayed mask), and
// softmax_xent (soft targets). Each: L = sum r * y with fixed random r (a non-uniform upstream
// gradient), every element of every input and parameter compared.
std::vector<std::string> gradcheck_op_names();
// The UsageError for an op name not in gradcheck_op_names(), listing them (the checks and the parity harness).
[[noreturn]] void throw_unknown_gradcheck_op(const std::string& name);
// Runs the checks of op `name` (UsageError for an unknown name).
std::vector<GradCheckRow> gradcheck_op(const std::string& name);

// The checker itself, for any function of tensors: `inputs` (name, shape, values) become float64 leaves,
// build(tape, leaves) returns y, L = sum r * y with fixed random r; one row per input. dropout in `build`
// sees the same tape seed and offset at every forward (a replayed mask); the tape is in training mode.
struct GradCheckInput {
  std::string name;
  Shape shape;
  std::vector<double> values;
};
std::vector<GradCheckRow> gradcheck_function(const std::string& op, std::vector<GradCheckInput> inputs,
                                             const std::function<Var(Tape&, const std::vector<Var>&)>& build, double h,
                                             double tol, uint64_t seed);

// Whole-net checks: layers/gradcheck_net.h.

}  // namespace agf
