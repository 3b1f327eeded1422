// The engine's float64 DCNN-16 and transfer MLP (1280 -> 1024 -> 16) against PyTorch float64
// (tests/fixtures/torch/dcnn_float64.safetensors, written by tools/make_torch_fixtures.py): same weights
// (the fixture's integer recipe), training mode, dropout p = 0, one forward_backward. Compared: logits,
// loss, the 256-d transfer feature (MLP: the 1024-d hidden layer), the sampled gradients of EVERY
// parameter tensor, and the BN running statistics after the step (momentum 0.01, eps 1e-3, unbiased var).
// Error measure per tensor: normwise relative, max_i |a_i - r_i| / max_i |r_i| (an element-by-element
// ratio would divide round-off by the few entries that cancel to ~1e-6 of the tensor's scale).
// Tolerance 1e-10: float64 with different summation orders (PyTorch's GEMMs, our loops) measured <= 2e-13
// here; a convention error (BN eps 1e-5, biased running variance, momentum 0.99, ELU alpha, a 'same'
// padding offset) gives 1e-6 or more. Five bias gradients are 0 in exact arithmetic (a constant shift
// removed by the batch norm that follows: conv2/conv4/conv7 -> bn2/bn4/bn7, fc1 -> bn_fc1, and bn_gap's
// beta, which fc1 turns into a constant shift before bn_fc1); there both sides hold round-off only, and
// both must stay below 1e-12 of the net's largest gradient.
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include "layers/step.h"
#include "tests/torch_fixture.h"

using namespace agf;

namespace {

constexpr double kTol = 1e-10;
constexpr double kZeroTol = 1e-12;
const char* const kZeroGrads[] = {"conv2.bias", "conv4.bias", "conv7.bias", "fc1.bias", "bn_gap.bias"};

bool structurally_zero(const std::string& prefix, const std::string& name) {
  if (!prefix.empty()) return false;  // the MLP has no batch norm
  for (const char* z : kZeroGrads)
    if (name == z) return true;
  return false;
}

double max_abs(const double* a, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i]));
  return m;
}

// Normwise relative error of `a` against the reference `r` (the measure described at the top).
double max_rel(const double* a, const std::vector<double>& r) {
  double d = 0;
  for (size_t i = 0; i < r.size(); ++i) d = std::max(d, std::fabs(a[i] - r[i]));
  return d / std::max(max_abs(r.data(), r.size()), 1e-300);
}

Tensor load_tensor(const SafetensorsFile& f, const std::string& name, Shape expect) {
  StView v = f.get(name);
  EXPECT_EQ(v.dtype, StDType::F64) << name;
  Tensor t = Tensor::empty(expect, DType::F64);
  EXPECT_EQ(v.nbytes, t.bytes()) << name;
  std::memcpy(t.data<double>(), v.data, std::min(v.nbytes, t.bytes()));
  return t;
}

// Overwrites every parameter with the fixture's recipe values (prefix "" or "mlp."); running mean 0, var 1.
void load_recipe(Net& net, const SafetensorsFile& f, const std::string& prefix) {
  int loaded = 0;
  for (int p = 0; p < net.params.size(); ++p) {
    const ParamInfo& info = net.params.info(p);
    double* v = net.params.value(p).data<double>();
    const int64_t n = info.shape.numel();
    if (!info.trainable) {
      const bool var = info.name.size() > 12 && info.name.compare(info.name.size() - 12, 12, ".running_var") == 0;
      std::fill(v, v + n, var ? 1.0 : 0.0);
      continue;
    }
    ASSERT_TRUE(f.has(prefix + "init." + info.name)) << "fixture has no recipe for " << info.name;
    auto rec = st_values<int64_t>(f.get(prefix + "init." + info.name));
    ASSERT_EQ(rec.size(), 3u);
    for (int64_t i = 0; i < n; ++i) v[i] = torch_fixture_init(uint64_t(i), uint32_t(rec[0]), int(rec[1]), int(rec[2]));
    ++loaded;
  }
  // Both sides name the same parameter set: every recipe in the file is one of ours.
  int in_file = 0;
  for (const std::string& name : f.names())
    if (name.rfind(prefix + "init.", 0) == 0) ++in_file;
  EXPECT_EQ(loaded, in_file) << prefix;
}

struct Errors {
  std::map<std::string, double> by_item;  // logits, loss, feature, grad.<p>, after.<bn>.<stat>
  std::map<std::string, double> zero;     // structurally zero gradients: max(|a|, |r|) / max_grad
  double max_grad = 0;
  double worst() const {
    double w = 0;
    for (auto& kv : by_item) w = std::max(w, kv.second);
    return w;
  }
};

// One forward_backward in float64 on the CPU, compared with the fixture under `prefix`.
// `feature_name` is "feature" (DCNN) or "hidden" (MLP).
Errors run_and_compare(Net& net, const SafetensorsFile& f, const std::string& prefix, Shape in_shape, int width,
                       const std::string& feature_name) {
  Errors e;
  Tensor x = load_tensor(f, prefix + "input", in_shape);
  Tensor y = load_tensor(f, prefix + "target", Shape{in_shape[0], 16});
  Arena arena(Device::CPU);
  Tape t(arena, DType::F64);
  StepResult r = forward_backward(net, t, x, y);
  e.by_item["logits"] = max_rel(r.logits.data<double>(), st_values<double>(f.get(prefix + "logits")));
  e.by_item["loss"] = max_rel(r.loss.data<double>(), st_values<double>(f.get(prefix + "loss")));
  for (int p = 0; p < net.params.size(); ++p) {
    const ParamInfo& info = net.params.info(p);
    const double* v = net.params.value(p).data<double>();
    if (!info.trainable) {  // BN running statistics after the step
      auto ref = st_values<double>(f.get(prefix + "after." + info.name));
      EXPECT_EQ(int64_t(ref.size()), info.shape.numel()) << info.name;
      e.by_item["after." + info.name] = max_rel(v, ref);
      continue;
    }
    auto idx = st_values<int64_t>(f.get(prefix + "grad_idx." + info.name));
    auto ref = st_values<double>(f.get(prefix + "grad." + info.name));
    const double* g = net.params.grad(p).data<double>();
    std::vector<double> got;
    for (int64_t i : idx) {
      EXPECT_LT(i, info.shape.numel()) << info.name;
      got.push_back(g[i]);
    }
    e.max_grad = std::max(e.max_grad, max_abs(ref.data(), ref.size()));
    if (structurally_zero(prefix, info.name))
      e.zero[info.name] = std::max(max_abs(got.data(), got.size()), max_abs(ref.data(), ref.size()));
    else
      e.by_item["grad." + info.name] = max_rel(got.data(), ref);
  }
  // The feature: a second training-mode forward on the same batch (batch statistics, so the same values;
  // the running statistics it updates again were compared above).
  t.reset();
  t.training = true;
  NetOutput out = net.forward(t, t.input(x, false));
  Tensor feat = t.value(out.feature);
  EXPECT_EQ(feat.numel(), in_shape[0] * width);
  e.by_item[feature_name] = max_rel(feat.data<double>(), st_values<double>(f.get(prefix + feature_name)));
  for (auto& kv : e.zero) kv.second /= e.max_grad;
  return e;
}

void report(const char* label, const Errors& e) {
  std::string worst_name;
  for (auto& kv : e.by_item)
    if (kv.second == e.worst()) worst_name = kv.first;
  std::printf("max_rel_err %s: all %.3e (%s) | logits %.3e loss %.3e", label, e.worst(), worst_name.c_str(),
              e.by_item.at("logits"), e.by_item.at("loss"));
  double g = 0, bn = -1;
  for (auto& kv : e.by_item) {
    if (kv.first.rfind("grad.", 0) == 0) g = std::max(g, kv.second);
    if (kv.first.rfind("after.", 0) == 0) bn = std::max(bn, kv.second);
  }
  std::printf(" grads %.3e", g);
  if (bn >= 0) std::printf(" running_stats %.3e", bn);
  for (auto& kv : e.by_item)
    if (kv.first == "feature" || kv.first == "hidden") std::printf(" %s %.3e", kv.first.c_str(), kv.second);
  double z = 0;
  for (auto& kv : e.zero) z = std::max(z, kv.second);
  std::printf(" (%zu items)", e.by_item.size());
  if (!e.zero.empty())
    std::printf(" | zero-gradient biases: max(|a|,|r|)/max_grad %.3e (%zu tensors)", z, e.zero.size());
  std::printf("\n");
}

std::unique_ptr<Net> fixture_dcnn(const SafetensorsFile& f) {
  NetConfig cfg;                      // DCNN-16, BN momentum 0.01, eps 1e-3 (the defaults)
  cfg.drop_conv = cfg.drop_fc = 0.f;  // the fixture ran with every dropout at p = 0
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F64, 1);
  load_recipe(*net, f, "");
  return net;
}

}  // namespace

TEST(TorchFixture, Dcnn16Float64MatchesPyTorch) {
  SafetensorsFile f = SafetensorsFile::open(torch_fixture_path());
  auto net = fixture_dcnn(f);
  Errors e = run_and_compare(*net, f, "", Shape{4, 1, 128, 43}, 256, "feature");
  report("dcnn16", e);
  // logits, loss, feature; 28 - 5 gradients; 5 BN x 2 running statistics; and the 5 zero gradients
  EXPECT_EQ(e.by_item.size(), 3u + 23u + 10u);
  EXPECT_EQ(e.zero.size(), 5u);
  EXPECT_GT(e.max_grad, 1e-3);  // real gradients, not zeros compared with zeros
  for (auto& kv : e.by_item) EXPECT_LT(kv.second, kTol) << "dcnn16 " << kv.first;
  for (auto& kv : e.zero) EXPECT_LT(kv.second, kZeroTol) << "dcnn16 zero gradient " << kv.first;
}

TEST(TorchFixture, Mlp1280Float64MatchesPyTorch) {
  SafetensorsFile f = SafetensorsFile::open(torch_fixture_path());
  NetConfig cfg;
  cfg.arch = Arch::mlp;
  cfg.inputs = 1280;
  cfg.hidden = 1024;
  cfg.outputs = 16;
  cfg.drop_in = cfg.drop_fc = 0.f;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F64, 1);
  load_recipe(*net, f, "mlp.");
  Errors e = run_and_compare(*net, f, "mlp.", Shape{4, 1280}, 1024, "hidden");
  report("mlp1280", e);
  EXPECT_EQ(e.by_item.size(), 3u + 4u);
  EXPECT_GT(e.max_grad, 1e-3);
  for (auto& kv : e.by_item) EXPECT_LT(kv.second, kTol) << "mlp1280 " << kv.first;
}

// The comparison can fail: one conv3 weight moved by 2^-12 (about 1/20 of its typical size) must show
// in the logits, the feature and the gradients far above the tolerance.
TEST(TorchFixture, PerturbedWeightIsDetected) {
  SafetensorsFile f = SafetensorsFile::open(torch_fixture_path());
  auto net = fixture_dcnn(f);
  net->params.value(net->params.find("conv3.weight")).data<double>()[100] += std::ldexp(1.0, -12);
  Errors e = run_and_compare(*net, f, "", Shape{4, 1, 128, 43}, 256, "feature");
  report("dcnn16_perturbed", e);
  EXPECT_GT(e.by_item.at("logits"), 1e3 * kTol);
  EXPECT_GT(e.by_item.at("feature"), 1e3 * kTol);
  EXPECT_GT(e.by_item.at("grad.conv1.weight"), 1e3 * kTol);
}
