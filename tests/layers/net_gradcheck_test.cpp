// Whole-network gradient checks in float64 on the CPU: the DCNN, a 2-task MTN and the MLP.
// For subsampled elements of EVERY parameter tensor (biases and BN included), the analytic gradient
// of L = softmax_xent(logits, soft targets) is compared with a central difference
// (L(p+h) - L(p-h)) / 2h, h = 1e-6 (at 1e-5 a conv1 weight, which moves ~22k pre-pool values at once,
// crosses max-pool kinks: measured conv1.weight[0] 2.4249187 analytic vs 2.4228 at h=1e-5, 2.4249187 at 1e-6). BN runs in training mode; dropout is on with a replayed mask
// (the same Philox seed and offset at every forward). Relative error |a-n| / max(|a|, |n|, floor) with
// floor = 1e-3: the central difference's round-off is about eps*|L|/h ~ 1e-9, so entries whose true
// gradient is 0 (a conv bias followed by batch norm) pass when |a-n| < 1e-8 (100x the round-off), not divided by noise.
// Inputs are i.i.d. uniform (Philox), not a periodic pattern, so max-pool near-ties are improbable.
#include <gtest/gtest.h>
#include <cmath>
#include <cstdio>
#include "kernels/philox.h"
#include "layers/step.h"

using namespace agf;

namespace {

double loss_of(const Net& net, Tape& t, const Tensor& x, const Tensor& y, int task) {
  t.reset();
  t.training = true;
  Var out = net.forward(t, t.input(x), task).logits;
  return scalar_value(t.value(softmax_xent(t, out, y)));
}

// Returns the largest relative error over the checked elements.
double check_net(Net& net, const Tensor& x, const Tensor& y, int task, int per_tensor, const char* label) {
  Arena arena(Device::CPU);
  Tape t(arena, DType::F64);
  t.seed = 1234;
  forward_backward(net, t, x, y, task);
  Tensor grads = net.params.grads().to(Device::CPU);
  double gmax = 0;
  for (int64_t i = 0; i < grads.numel(); ++i) gmax = std::max(gmax, std::fabs(grads.data<double>()[i]));
  const double h = 1e-6, floor = 1e-3;
  double worst = 0;
  std::string worst_name;
  int checked = 0;
  double* values = net.params.values().data<double>();
  for (int p = 0; p < net.params.size(); ++p) {
    const ParamInfo& info = net.params.info(p);
    if (!info.trainable) continue;
    int64_t n = info.shape.numel();
    for (int k = 0; k < per_tensor && k < n; ++k) {
      int64_t j = k == 0 ? 0 : k == 1 ? n - 1 : (k * 2654435761LL) % n;
      size_t idx = info.offset + size_t(j);
      double analytic = grads.data<double>()[idx];
      // Only tensors that this task touches have non-zero gradients (MTN: the other branch).
      double saved = values[idx];
      values[idx] = saved + h;
      double lp = loss_of(net, t, x, y, task);
      values[idx] = saved - h;
      double lm = loss_of(net, t, x, y, task);
      values[idx] = saved;
      double numeric = (lp - lm) / (2 * h);
      double rel = std::fabs(analytic - numeric) / std::max({std::fabs(analytic), std::fabs(numeric), floor});
      EXPECT_LT(rel, 1e-5) << label << " " << info.name << "[" << j << "] analytic " << analytic << " numeric "
                           << numeric;
      if (rel > worst) worst = rel, worst_name = info.name;
      ++checked;
    }
  }
  std::printf("max_rel_err %s %.3e (%s, %d elements, grad max %.3e)\n", label, worst, worst_name.c_str(), checked, gmax);
  return worst;
}

Tensor random_input(Shape s, uint64_t seed) {
  Tensor x = Tensor::empty(s, DType::F64);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<double>()[i] = 3.0 * philox_uniform(seed, 0, uint64_t(i)) - 1.5;
  return x;
}

Tensor soft_targets(int n, int k) {
  Tensor y = Tensor::empty(Shape{n, k}, DType::F64);
  for (int r = 0; r < n; ++r) {
    double s = 0;
    for (int c = 0; c < k; ++c) s += (y.data<double>()[r * k + c] = 1.0 + std::cos(1.3 * r + 0.7 * c));
    for (int c = 0; c < k; ++c) y.data<double>()[r * k + c] /= s;
  }
  return y;
}

}  // namespace

// Tolerance 1e-5 (expectation 1e-6): the nets have max-pools, whose kinks a finite step can cross.
TEST(NetGradcheck, Dcnn16Float64) {
  NetConfig cfg;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F64, 7);
  EXPECT_LT(check_net(*net, random_input(Shape{4, 1, 128, 43}, 1), soft_targets(4, 16), 0, 3, "dcnn16"), 1e-5);
}

TEST(NetGradcheck, Mtn2TaskFloat64) {
  NetConfig cfg;
  cfg.arch = "mtn";
  cfg.tasks = "gm";
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F64, 8);
  Tensor x = random_input(Shape{3, 1, 128, 43}, 2);
  EXPECT_LT(check_net(*net, x, soft_targets(3, 16), 0, 2, "mtn_gm_task_g"), 1e-5);
  EXPECT_LT(check_net(*net, x, soft_targets(3, 40), 1, 2, "mtn_gm_task_m"), 1e-5);
}

TEST(NetGradcheck, MlpFloat64) {
  NetConfig cfg;
  cfg.arch = "mlp";
  cfg.inputs = 1280;
  cfg.outputs = 16;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F64, 9);
  EXPECT_LT(check_net(*net, random_input(Shape{8, 1280}, 3), soft_targets(8, 16), 0, 6, "mlp1280"), 1e-5);
}
