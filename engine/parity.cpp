// The parity harness (see parity.h): every case once on the float64 CPU tape and once on the side's
// tape, from the same float32 values, then parity_compare per tensor. The CUDA entry point is in
// parity_cuda.cpp (a stub at the end of this file without the CUDA backend).
#include "engine/parity.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "engine/arena.h"
#include "engine/gradcheck.h"
#include "engine/ops.h"
#include "engine/tape.h"

namespace agf {

const ParityTol& parity_tol(const std::string& name) {
  for (const ParityTol& t : kParityTols)
    if (name == t.name) return t;
  throw Error(str("parity: no tolerance named '", name, "'"));
}

std::string ParityRow::describe() const {
  if (worst < 0) return str(op, " ", tensor, ": no elements");
  const double allowed = rtol * std::fabs(ref) + atol * scale;
  char b[400];
  std::snprintf(b, sizeof b,
                "%s %s[%lld]: got %.9g ref %.9g, |diff| %.2e %s allowed %.2e; %lld of %lld elements outside %s "
                "(rtol %.0e, atol %.0e x max|ref| %.3g)",
                op.c_str(), tensor.c_str(), (long long)worst, got, ref, std::fabs(got - ref),
                std::fabs(got - ref) <= allowed ? "<=" : ">", allowed, (long long)outside, (long long)elements,
                tol.c_str(), rtol, atol, scale);
  return b;
}

ParityRow parity_compare(const std::string& op, const std::string& tensor, const std::string& tol,
                         const std::vector<double>& got, const std::vector<double>& ref) {
  AGF_CHECK(got.size() == ref.size(), ShapeError, "parity: ", op, " ", tensor, ": ", got.size(),
            " elements against a reference of ", ref.size());
  const ParityTol& t = parity_tol(tol);
  ParityRow row;
  row.op = op;
  row.tensor = tensor;
  row.tol = tol;
  row.elements = int64_t(got.size());
  row.rtol = t.rtol;
  row.atol = t.atol;
  for (double r : ref) row.scale = std::max(row.scale, std::fabs(r));
  double worst_excess = -std::numeric_limits<double>::infinity();
  bool nan = false;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(got[i] - ref[i]), allowed = t.rtol * std::fabs(ref[i]) + t.atol * row.scale;
    if (!(err <= allowed)) ++row.outside;  // NaN fails
    if (std::isnan(err))
      nan = true;
    else
      row.max_abs = std::max(row.max_abs, err);
    const double excess = std::isnan(err) ? std::numeric_limits<double>::infinity() : err - allowed;
    if (excess > worst_excess) {
      worst_excess = excess;
      row.worst = int64_t(i);
    }
  }
  row.max_rel = max_rel_err(got, ref);
  if (nan) row.max_rel = row.max_abs = std::numeric_limits<double>::quiet_NaN();
  if (row.worst >= 0) {
    row.got = got[size_t(row.worst)];
    row.ref = ref[size_t(row.worst)];
  }
  row.pass = row.outside == 0;
  return row;
}

namespace {

// One input of a case: its float32-representable values, the gradient it starts backward with (non-zero,
// so that accumulation is compared too) and the tolerance of its gradient.
struct In {
  std::string name, grad_tol;
  Shape shape;
  std::vector<double> values, grad0;
};

// What a case's build sees: the tape, and tensors on the side (batch norm's running statistics, soft
// targets); kept ones are compared after backward.
struct Run {
  Tape& t;
  const ParitySide& side;
  std::vector<std::pair<ParityTensor, Tensor>> kept;
  Tensor tensor(Shape s, const std::vector<double>& v) const;
  void keep(const std::string& name, const std::string& tol, const Tensor& x) { kept.push_back({{name, tol, {}}, x}); }
};

struct Case {
  std::string op, y_tol;
  std::vector<In> inputs;
  std::function<Var(Run&, const std::vector<Var>&)> build;
  uint64_t seed = 1, rng_offset = 0;  // dropout: both sides draw the same slice of the Philox stream
};

Tensor on_side(const ParitySide& s, Shape shape, const std::vector<double>& v) {
  AGF_CHECK(int64_t(v.size()) == shape.numel(), ShapeError, "parity: ", v.size(), " values for ", shape.str());
  Tensor h = Tensor::empty(shape, DType::F64);
  if (!v.empty()) std::memcpy(h.data<double>(), v.data(), v.size() * sizeof(double));
  if (s.dtype != DType::F64) h = h.to_dtype(s.dtype);
  return s.device == Device::CPU ? h : h.to(s.device);
}
Tensor Run::tensor(Shape s, const std::vector<double>& v) const { return on_side(side, s, v); }

std::vector<double> host(const Tensor& t) {
  Tensor c = t.device() == Device::CPU ? t : t.to(Device::CPU);
  if (c.dtype() != DType::F64) c = c.to_dtype(DType::F64);
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}

// One case on one side: y, then d<input> for every input, then what the build kept. `r` (the upstream
// gradient) is drawn from the case's seed on the first call and reused by the second.
std::vector<ParityTensor> run_side(const Case& c, const ParitySide& s, std::vector<double>& r) {
  AGF_CHECK(s.device == Device::CPU || s.cuda != nullptr, DeviceError, "parity: a CUDA side needs a CUDA context");
  std::vector<ParityTensor> out;
  {
    Arena arena(s.device);
    Tape t(arena, s.dtype);
    t.cuda = s.cuda;
    t.training = true;  // batch norm with batch statistics, dropout on
    t.seed = c.seed;
    t.rng_offset = c.rng_offset;
    std::vector<Var> vars;
    for (const In& in : c.inputs) vars.push_back(t.input(on_side(s, in.shape, in.values), true));
    Run run{t, s, {}};
    const Var y = c.build(run, vars);
    const Shape ys = t.value(y).shape();
    if (r.empty()) {
      std::mt19937_64 g(c.seed ^ 0x9e3779b97f4a7c15ull);
      std::uniform_real_distribution<double> d(-1.0, 1.0);
      r.resize(size_t(ys.numel()));
      for (double& e : r) e = double(float(d(g)));
    }
    // The upstream gradient: a scalar node whose backward writes r into dy. y has no other consumer, so
    // its gradient is still zero there and writing it is accumulating it.
    const Var loss = t.make(arena.zeros(Shape{1}, s.dtype, s.cuda), true);
    const Tensor rt = on_side(s, ys, r);
    t.record([&t, y, rt] { t.grad(y).copy_from(rt, t.cuda); });
    for (size_t k = 0; k < vars.size(); ++k)
      t.grad(vars[k]).copy_from(on_side(s, c.inputs[k].shape, c.inputs[k].grad0), s.cuda);
    t.backward(loss);
    out.push_back({"y", c.y_tol, host(t.value(y))});
    for (size_t k = 0; k < vars.size(); ++k)
      out.push_back({"d" + c.inputs[k].name, c.inputs[k].grad_tol, host(t.grad(vars[k]))});
    for (auto& [pt, x] : run.kept) out.push_back({pt.name, pt.tol, host(x)});
  }
  return out;
}

// Inputs: float32-representable (both sides start from the same bits), from one generator per op.
std::vector<double> uniform(std::mt19937_64& g, int64_t n, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& e : v) e = double(float(d(g)));
  return v;
}
// Distinct values 2/n apart in random order: max-pool's argmax is the same on every side.
std::vector<double> tie_free(std::mt19937_64& g, int64_t n) {
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0);
  std::shuffle(v.begin(), v.end(), g);
  for (double& e : v) e = double(float(-1.0 + 2.0 * e / double(n)));
  return v;
}
In input(std::mt19937_64& g, const std::string& name, const std::string& grad_tol, Shape s, std::vector<double> v) {
  return {name, grad_tol, s, std::move(v), uniform(g, s.numel(), -0.5, 0.5)};
}
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

// Shapes: the DCNN's kinds of layers at small batches (conv1's one input channel, odd widths after the
// pools, 2-D batch norm after GAP, fc2's 40 factors) plus odd sizes, small enough for a float64 CPU run.
std::vector<Case> cases(const std::string& name) {
  std::mt19937_64 g(fnv1a(name));
  std::vector<Case> out;
  if (name == "conv2d") {
    struct {
      int N, C, H, W, K, R;
    } shapes[] = {{4, 1, 64, 43, 16, 5}, {4, 16, 16, 11, 32, 3}, {4, 64, 4, 2, 64, 1}};
    for (auto s : shapes) {
      const double a = std::sqrt(3.0 / (s.C * s.R * s.R));
      out.push_back({str("conv2d ", s.R, "x", s.R),
                     "conv2d_forward",
                     {input(g, "x", "conv2d_backward_data", Shape{s.N, s.C, s.H, s.W},
                            uniform(g, int64_t(s.N) * s.C * s.H * s.W, -1.5, 1.5)),
                      input(g, "w", "conv2d_backward_filter", Shape{s.K, s.C, s.R, s.R},
                            uniform(g, int64_t(s.K) * s.C * s.R * s.R, -a, a)),
                      input(g, "b", "conv2d_backward_filter", Shape{s.K}, uniform(g, s.K, -0.5, 0.5))},
                     [](Run& r, const std::vector<Var>& v) { return conv2d(r.t, v[0], v[1], v[2]); }});
    }
  } else if (name == "dense") {
    struct {
      int N, I, O;
    } shapes[] = {{16, 256, 40}, {7, 129, 17}};
    for (auto s : shapes) {
      const double a = std::sqrt(3.0 / s.I);
      out.push_back({str("dense ", s.N, "x", s.I, "->", s.O),
                     "dense",
                     {input(g, "x", "dense", Shape{s.N, s.I}, uniform(g, int64_t(s.N) * s.I, -1.5, 1.5)),
                      input(g, "w", "dense", Shape{s.O, s.I}, uniform(g, int64_t(s.O) * s.I, -a, a)),
                      input(g, "b", "dense", Shape{s.O}, uniform(g, s.O, -0.5, 0.5))},
                     [](Run& r, const std::vector<Var>& v) { return dense(r.t, v[0], v[1], v[2]); }});
    }
  } else if (name == "batchnorm") {
    for (bool four : {true, false}) {
      const int C = four ? 16 : 64;
      const Shape xs = four ? Shape{8, C, 16, 11} : Shape{32, C};
      const int64_t hw = four ? 16 * 11 : 1;
      std::vector<double> x = uniform(g, xs.numel(), -2.0, 2.0);
      for (size_t i = 0; i < x.size(); ++i) x[i] += 0.5 * double((int64_t(i) / hw) % C);  // a mean per channel
      const std::vector<double> rm = uniform(g, C, -0.5, 0.5), rv = uniform(g, C, 0.5, 2.0);
      out.push_back({four ? "batchnorm (N,C,H,W) train" : "batchnorm (N,C) train",
                     "batchnorm",
                     {input(g, "x", "batchnorm_backward", xs, x),
                      input(g, "gamma", "batchnorm_backward", Shape{C}, uniform(g, C, 0.5, 1.5)),
                      input(g, "beta", "batchnorm_backward", Shape{C}, uniform(g, C, -0.5, 0.5))},
                     [C, rm, rv](Run& r, const std::vector<Var>& v) {
        Tensor m = r.tensor(Shape{C}, rm), s = r.tensor(Shape{C}, rv);
        r.keep("running_mean", "batchnorm", m);
        r.keep("running_var", "batchnorm", s);
        return batchnorm(r.t, v[0], v[1], v[2], m, s, 0.01, 1e-3);
                     }});
    }
  } else if (name == "maxpool") {
    // y copies the maximum (exact); dx adds dy to the starting gradient: one float32 rounding.
    for (auto [kw, xs] :
         {std::pair<int, Shape>{1, Shape{4, 8, 32, 21}}, std::pair<int, Shape>{2, Shape{4, 8, 16, 11}}}) {
      out.push_back({str("maxpool 2x", kw, " (tie-free)"),
                     "exact",
                     {input(g, "x", "elementwise", xs, tie_free(g, xs.numel()))},
                     [kw = kw](Run& r, const std::vector<Var>& v) { return maxpool(r.t, v[0], 2, kw); }});
    }
  } else if (name == "elu") {
    // dx is computed from each side's own y, so it inherits y's few ulp (tests/cuda compares the backward
    // alone, from the GPU's y; here the whole op is compared).
    const Shape xs{4, 8, 16, 11};
    out.push_back({"elu",
                   "elu",
                   {input(g, "x", "elu_backward", xs, uniform(g, xs.numel(), -3.0, 3.0))},
                   [](Run& r, const std::vector<Var>& v) { return elu(r.t, v[0], 1.0); }});
  } else if (name == "gap") {
    const Shape xs{4, 32, 32, 21};
    out.push_back({"gap",
                   "gap",
                   {input(g, "x", "elementwise", xs, uniform(g, xs.numel(), -1.5, 1.5))},
                   [](Run& r, const std::vector<Var>& v) { return gap(r.t, v[0]); }});
  } else if (name == "dropout") {
    const Shape xs{4, 8, 32, 21};
    Case c{"dropout p=0.3 (offset 5)",
           "elementwise",
           {input(g, "x", "elementwise", xs, uniform(g, xs.numel(), -1.5, 1.5))},
           [](Run& r, const std::vector<Var>& v) { return dropout(r.t, v[0], 0.3f); }};
    c.seed = 0x1234abcd9876ull;
    c.rng_offset = 5;  // not a multiple of Philox's 4 outputs per call
    out.push_back(c);
  } else if (name == "softmax_xent") {
    struct {
      int N, K;
    } shapes[] = {{64, 16}, {33, 40}};
    for (auto s : shapes) {
      std::vector<double> y = uniform(g, int64_t(s.N) * s.K, 0.0, 1.0);
      for (int n = 0; n < s.N; ++n) {
        double sum = 0;
        for (int k = 0; k < s.K; ++k) sum += y[size_t(n * s.K + k)];
        for (int k = 0; k < s.K; ++k) y[size_t(n * s.K + k)] = double(float(y[size_t(n * s.K + k)] / sum));
      }
      out.push_back({str("softmax_xent ", s.N, "x", s.K),
                     "softmax_xent",
                     {input(g, "logits", "softmax_xent", Shape{s.N, s.K}, uniform(g, int64_t(s.N) * s.K, -4.0, 4.0))},
                     [s, y](Run& r, const std::vector<Var>& v) {
        return softmax_xent(r.t, v[0], r.tensor(Shape{s.N, s.K}, y));
                     }});
    }
  } else {
    throw_unknown_gradcheck_op(name);
  }
  return out;
}

}  // namespace

std::vector<ParityRow> parity_op(const std::string& name, const ParitySide& side, const ParityHook& hook) {
  const ParitySide reference{Device::CPU, DType::F64, nullptr};
  std::vector<ParityRow> rows;
  for (const Case& c : cases(name)) {
    std::vector<double> r;
    const std::vector<ParityTensor> ref = run_side(c, reference, r);
    std::vector<ParityTensor> got = run_side(c, side, r);
    if (hook) hook(c.op, got);
    AGF_CHECK(got.size() == ref.size(), ShapeError, "parity: ", c.op, ": ", got.size(), " results against ",
              ref.size());
    for (size_t k = 0; k < ref.size(); ++k)
      rows.push_back(parity_compare(c.op, ref[k].name, ref[k].tol, got[k].values, ref[k].values));
  }
  return rows;
}

#ifndef AGF_HAVE_CUDA
std::vector<ParityRow> parity_cuda(const std::vector<std::string>&, std::string*) {
  throw DeviceError(
      "--device cuda: this agf was built without CUDA (configure with -DAGF_CUDA=ON); "
      "nothing was run on the CPU in its place");
}
#endif

}  // namespace agf
