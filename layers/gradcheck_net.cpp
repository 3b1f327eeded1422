// Whole-net float64 gradient checks (see gradcheck_net.h). h = 1e-6: at 1e-5 a conv1 weight, which moves
// ~22k pre-pool values at once, crosses max-pool kinks (measured conv1.weight[0] 2.4249187 analytic vs
// 2.4228 at h = 1e-5, 2.4249187 at 1e-6). Entries whose true gradient is 0 (a conv bias followed by batch
// norm) pass through the relative error's floor (1e-3 of the tensor's gradient scale).
#include "layers/gradcheck_net.h"

#include <cmath>

#include "kernels/philox.h"
#include "layers/step.h"

namespace agf {

namespace {

double loss_of(const Net& net, Tape& t, const Tensor& x, const Tensor& y, int task) {
  t.reset();
  t.training = true;
  t.rng_offset = 0;
  Var out = net.forward(t, t.input(x), task).logits;
  return scalar_value(t.value(softmax_xent(t, out, y)));
}

Tensor random_input(Shape s, uint64_t seed) {
  Tensor x = Tensor::empty(s, DType::F64);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<double>()[i] = 3.0 * philox_uniform(seed, 0, uint64_t(i)) - 1.5;
  return x;
}

Tensor soft_targets(int64_t n, int k) {
  Tensor y = Tensor::empty(Shape{n, k}, DType::F64);
  for (int64_t r = 0; r < n; ++r) {
    double s = 0;
    for (int c = 0; c < k; ++c) s += (y.data<double>()[r * k + c] = 1.0 + std::cos(1.3 * double(r) + 0.7 * c));
    for (int c = 0; c < k; ++c) y.data<double>()[r * k + c] /= s;
  }
  return y;
}

}  // namespace

std::vector<GradCheckRow> gradcheck_net(const Net& net_c, const std::string& label, int64_t batch, int task,
                                        int per_tensor, double h, double tol, uint64_t seed) {
  Net& net = const_cast<Net&>(net_c);  // parameters are perturbed and restored
  AGF_CHECK(net.params.dtype() == DType::F64 && net.params.device() == Device::CPU, DTypeError,
            "gradcheck_net: the net must be finalized in F64 on the CPU");
  const Tensor x = random_input(net.input_shape(int(batch)), seed);
  const Tensor y = soft_targets(batch, net.outputs(task));
  Arena arena(Device::CPU);
  Tape t(arena, DType::F64);
  t.seed = 1234;
  t.rng_offset = 0;
  forward_backward(net, t, x, y, task);
  const Tensor grads = net.params.grads();
  double* values = net.params.values().data<double>();
  std::vector<GradCheckRow> rows;
  for (int p = 0; p < net.params.size(); ++p) {
    const ParamInfo& info = net.params.info(p);
    if (!info.trainable) continue;
    const int64_t n = info.shape.numel();
    std::vector<double> a, num;
    std::vector<int64_t> idx;
    for (int k = 0; k < per_tensor && k < n; ++k) {
      const int64_t j = k == 0 ? 0 : k == 1 ? n - 1 : (int64_t(k) * 2654435761LL) % n;
      const size_t at = info.offset + size_t(j);
      const double saved = values[at];
      values[at] = saved + h;
      const double lp = loss_of(net, t, x, y, task);
      values[at] = saved - h;
      const double lm = loss_of(net, t, x, y, task);
      values[at] = saved;
      a.push_back(grads.data<double>()[at]);
      num.push_back((lp - lm) / (2 * h));
      idx.push_back(j);
    }
    GradCheckRow row;
    row.op = label;
    row.tensor = info.name;
    row.checked = int64_t(a.size());
    // The floor of the relative error is 1e-3 absolute here (the net's loss is O(1)), as the tests had it.
    size_t where = 0;
    double worst = -1;
    for (size_t i = 0; i < a.size(); ++i) {
      const double e = std::fabs(a[i] - num[i]) / std::max({std::fabs(a[i]), std::fabs(num[i]), 1e-3});
      row.max_abs = std::max(row.max_abs, std::fabs(a[i] - num[i]));
      if (e > worst) worst = e, where = i;
    }
    row.max_rel = std::max(worst, 0.0);
    row.worst = a.empty() ? -1 : idx[where];
    row.analytic = a.empty() ? 0 : a[where];
    row.numeric = a.empty() ? 0 : num[where];
    row.step = h;
    row.tol = tol;
    row.pass = row.max_rel <= tol;
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> gradcheck_net_names() { return {"dcnn", "mtn", "mlp"}; }

std::vector<GradCheckRow> gradcheck_named_net(const std::string& name) {
  // Tolerance 1e-5 (expectation 1e-6): the nets have max-pools, whose kinks a finite step can cross.
  NetConfig cfg;
  if (name == "dcnn") {
    auto net = build_net(cfg);
    net->params.finalize(Device::CPU, DType::F64, 7);
    return gradcheck_net(*net, "dcnn16", 4, 0, 3, 1e-6, 1e-5, 1);
  }
  if (name == "mtn") {
    cfg.arch = Arch::mtn;
    cfg.tasks = "gm";
    auto net = build_net(cfg);
    net->params.finalize(Device::CPU, DType::F64, 8);
    std::vector<GradCheckRow> r = gradcheck_net(*net, "mtn_gm task g", 3, 0, 2, 1e-6, 1e-5, 2);
    std::vector<GradCheckRow> r2 = gradcheck_net(*net, "mtn_gm task m", 3, 1, 2, 1e-6, 1e-5, 2);
    r.insert(r.end(), r2.begin(), r2.end());
    return r;
  }
  if (name == "mlp") {
    cfg.arch = Arch::mlp;
    cfg.inputs = 1280;
    cfg.outputs = 16;
    auto net = build_net(cfg);
    net->params.finalize(Device::CPU, DType::F64, 9);
    return gradcheck_net(*net, "mlp1280", 8, 0, 6, 1e-6, 1e-5, 3);
  }
  throw UsageError(str("gradcheck: unknown net '", name, "'; nets: dcnn mtn mlp"));
}

}  // namespace agf
