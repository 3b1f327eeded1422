// The op gradient checks (see gradcheck.h): each op on the float64 CPU tape, L = sum r * y with a fixed
// random r, the tape's gradients of every input and parameter against central differences of L.
#include "engine/gradcheck.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <random>

#include "engine/ops.h"
#include "engine/tape.h"

namespace agf {

std::string GradCheckRow::describe() const {
  char b[320];
  std::snprintf(b, sizeof b, "%s %s[%lld]: analytic %.9g numeric %.9g, rel %.2e %s tol %.0e", op.c_str(),
                tensor.c_str(), (long long)worst, analytic, numeric, max_rel, pass ? "<=" : ">", tol);
  return b;
}

namespace {

using In = GradCheckInput;
using Build = std::function<Var(Tape&, const std::vector<Var>&)>;

Tensor tensor_of(const In& in) {
  Tensor t = Tensor::empty(in.shape, DType::F64);
  std::memcpy(t.data<double>(), in.values.data(), in.values.size() * sizeof(double));
  return t;
}

std::vector<double> host(const Tensor& t) {
  const double* p = t.data<double>();
  return std::vector<double>(p, p + t.numel());
}

// sum_i r_i y_i as a tape op: its backward adds d(out) * r to dy, the non-uniform upstream gradient.
Var weighted_sum(Tape& t, Var y, const std::vector<double>& r) {
  const Tensor& yv = t.value(y);
  AGF_CHECK(int64_t(r.size()) == yv.numel(), ShapeError, "gradcheck: weights for ", yv.shape().str());
  Tensor out = Tensor::empty(Shape{1}, DType::F64);
  double s = 0;
  for (int64_t i = 0; i < yv.numel(); ++i) s += r[size_t(i)] * yv.data<double>()[i];
  out.data<double>()[0] = s;
  Var o = t.make(out, t.requires_grad(y));
  if (t.requires_grad(y))
    t.record([&t, y, o, r] {
      const double go = t.grad(o).data<double>()[0];
      double* g = t.grad(y).data<double>();
      for (size_t i = 0; i < r.size(); ++i) g[i] += go * r[i];
    });
  return o;
}

std::vector<double> uniform(std::mt19937_64& g, size_t n, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (double& e : v) e = d(g);
  return v;
}
// Distinct values 3/n apart in random order: no two within a finite step of each other (max-pool ties).
std::vector<double> tie_free(std::mt19937_64& g, size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  std::shuffle(v.begin(), v.end(), g);
  for (double& e : v) e = -1.5 + 3.0 * e / double(n);
  return v;
}
// |x| in [0.05, 1.5]: at least 0.05 from ELU's kink at 0.
std::vector<double> off_kink(std::mt19937_64& g, size_t n) {
  std::vector<double> v = uniform(g, n, 0.05, 1.5);
  std::bernoulli_distribution s(0.5);
  for (double& e : v) e = s(g) ? e : -e;
  return v;
}
In input(const std::string& name, Shape s, std::vector<double> v) { return {name, s, std::move(v)}; }

std::vector<GradCheckRow> run_case(const std::string& op, std::vector<In> ins, const Build& build, double h, double tol,
                                   uint64_t seed) {
  Arena arena(Device::CPU);
  Tape t(arena, DType::F64);
  t.seed = seed;  // dropout: the same Philox key and offset at every forward replays the mask
  std::vector<double> r;
  std::vector<std::vector<double>> analytic(ins.size());
  auto forward = [&](bool grad) {
    t.reset();
    t.training = true;  // batch norm with batch statistics
    t.rng_offset = 0;
    std::vector<Var> vars;
    for (const In& in : ins) vars.push_back(t.input(tensor_of(in), grad));
    Var y = build(t, vars);
    if (r.empty()) {
      std::mt19937_64 g(seed ^ 0x9e3779b97f4a7c15ull);
      r = uniform(g, size_t(t.value(y).numel()), -1.0, 1.0);
    }
    Var loss = weighted_sum(t, y, r);
    const double l = t.value(loss).data<double>()[0];
    if (grad) {
      t.backward(loss);
      for (size_t k = 0; k < ins.size(); ++k) analytic[k] = host(t.grad(vars[k]));
    }
    return l;
  };
  forward(true);
  std::vector<GradCheckRow> rows;
  for (size_t k = 0; k < ins.size(); ++k) {
    const std::vector<double> num = numeric_grad(
        ins[k].values, [&] { return forward(false); }, h);
    GradCheckRow row;
    row.op = op;
    row.tensor = ins[k].name;
    row.checked = int64_t(num.size());
    size_t where = 0;
    row.max_rel = max_rel_err(analytic[k], num, &where);
    for (size_t i = 0; i < num.size(); ++i) row.max_abs = std::max(row.max_abs, std::fabs(analytic[k][i] - num[i]));
    row.worst = int64_t(where);
    row.analytic = analytic[k][where];
    row.numeric = num[where];
    row.step = h;
    row.tol = tol;
    row.pass = row.max_rel <= tol;
    rows.push_back(row);
  }
  return rows;
}

// Tolerance 1e-6 with h = 1e-5: truncation (h^2 f''') is ~1e-10, round-off eps * |L| / h ~ 1e-9 absolute
// (|L| ~ 30 for conv 5x5), which is ~2e-7 relative on entries near the error's floor (measured: conv2d
// 5x5 x, 1.6e-7); max-pool uses h = 1e-6 against inputs 3/n apart, so no step crosses a tie.
constexpr double kTol = 1e-6;

std::vector<GradCheckRow> check(const std::string& name) {
  std::mt19937_64 g(std::hash<std::string>{}(name)&0xffffffffu);
  std::vector<GradCheckRow> out;
  auto add = [&](std::vector<GradCheckRow> r) { out.insert(out.end(), r.begin(), r.end()); };
  if (name == "conv2d") {
    for (int k : {5, 3, 1}) {
      const int N = 2, C = 3, H = 6, W = 5, K = 4;
      add(run_case(
          str("conv2d ", k, "x", k),
          {input("x", Shape{N, C, H, W}, uniform(g, size_t(N * C * H * W), -1.5, 1.5)),
           input("w", Shape{K, C, k, k}, uniform(g, size_t(K * C * k * k), -0.5, 0.5)),
           input("b", Shape{K}, uniform(g, size_t(K), -0.5, 0.5))},
          [](Tape& t, const std::vector<Var>& v) { return conv2d(t, v[0], v[1], v[2]); }, 1e-5, kTol, 1));
    }
  } else if (name == "dense") {
    add(run_case(
        "dense",
        {input("x", Shape{3, 7}, uniform(g, 21, -1.5, 1.5)), input("w", Shape{5, 7}, uniform(g, 35, -0.5, 0.5)),
         input("b", Shape{5}, uniform(g, 5, -0.5, 0.5))},
        [](Tape& t, const std::vector<Var>& v) { return dense(t, v[0], v[1], v[2]); }, 1e-5, kTol, 1));
  } else if (name == "batchnorm") {
    for (bool four : {true, false}) {
      const Shape xs = four ? Shape{3, 4, 3, 2} : Shape{6, 4};
      add(run_case(
          four ? "batchnorm (N,C,H,W) train" : "batchnorm (N,C) train",
          {input("x", xs, uniform(g, size_t(xs.numel()), -1.5, 1.5)), input("gamma", Shape{4}, uniform(g, 4, 0.5, 1.5)),
           input("beta", Shape{4}, uniform(g, 4, -0.5, 0.5))},
          [](Tape& t, const std::vector<Var>& v) {
        Tensor rm = Tensor::zeros(Shape{4}, DType::F64), rv = Tensor::zeros(Shape{4}, DType::F64);
        rv.fill_(1.0);
        return batchnorm(t, v[0], v[1], v[2], rm, rv, 0.01, 1e-3);
          },
          1e-5, kTol, 1));
    }
  } else if (name == "maxpool") {
    for (int kw : {1, 2}) {
      add(run_case(
          str("maxpool 2x", kw, " (tie-free)"), {input("x", Shape{2, 3, 6, 5}, tie_free(g, 180))},
          [kw](Tape& t, const std::vector<Var>& v) { return maxpool(t, v[0], 2, kw); }, 1e-6, kTol, 1));
    }
  } else if (name == "elu") {
    add(run_case(
        "elu (|x| >= 0.05)", {input("x", Shape{2, 3, 4, 5}, off_kink(g, 120))},
        [](Tape& t, const std::vector<Var>& v) { return elu(t, v[0], 1.0); }, 1e-5, kTol, 1));
  } else if (name == "gap") {
    add(run_case(
        "gap", {input("x", Shape{2, 3, 4, 5}, uniform(g, 120, -1.5, 1.5))},
        [](Tape& t, const std::vector<Var>& v) { return gap(t, v[0]); }, 1e-5, kTol, 1));
  } else if (name == "dropout") {
    add(run_case(
        "dropout p=0.3 (replayed mask)", {input("x", Shape{2, 3, 4, 5}, uniform(g, 120, -1.5, 1.5))},
        [](Tape& t, const std::vector<Var>& v) { return dropout(t, v[0], 0.3f); }, 1e-5, kTol, 77));
  } else if (name == "softmax_xent") {
    Tensor y = Tensor::empty(Shape{4, 6}, DType::F64);
    for (int n = 0; n < 4; ++n) {
      double s = 0;
      for (int k = 0; k < 6; ++k) s += (y.data<double>()[n * 6 + k] = 1.0 + std::cos(1.3 * n + 0.7 * k));
      for (int k = 0; k < 6; ++k) y.data<double>()[n * 6 + k] /= s;
    }
    add(run_case(
        "softmax_xent (soft targets)", {input("logits", Shape{4, 6}, uniform(g, 24, -2, 2))},
        [y](Tape& t, const std::vector<Var>& v) { return softmax_xent(t, v[0], y); }, 1e-5, kTol, 1));
  } else {
    throw_unknown_gradcheck_op(name);
  }
  return out;
}

}  // namespace

void throw_unknown_gradcheck_op(const std::string& name) {
  std::string all;
  for (const auto& n : gradcheck_op_names()) all += " " + n;
  throw UsageError(str("gradcheck: unknown op '", name, "'; ops:", all));
}

std::vector<GradCheckRow> gradcheck_function(const std::string& op, std::vector<GradCheckInput> inputs,
                                             const std::function<Var(Tape&, const std::vector<Var>&)>& build, double h,
                                             double tol, uint64_t seed) {
  return run_case(op, std::move(inputs), build, h, tol, seed);
}

std::vector<std::string> gradcheck_op_names() {
  return {"conv2d", "dense", "batchnorm", "maxpool", "elu", "gap", "dropout", "softmax_xent"};
}

std::vector<GradCheckRow> gradcheck_op(const std::string& name) { return check(name); }

}  // namespace agf
