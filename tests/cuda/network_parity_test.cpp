// Whole-network CPU/CUDA parity through the engine (layers/step.h): the DCNN, a 2-task MTN and the MLP. One
// training step's loss and EVERY gradient tensor against the float64 CPU engine from identical float32 weights and
// inputs (same Philox dropout masks), then ten Adam steps; and determinism: in deterministic mode two runs of 20
// steps at batch 64 end with bitwise identical weights.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/philox.h"
#include "layers/step.h"
#include "tests/cuda/cuda_test_util.h"

namespace agf::cudatest {
namespace {

// Whole-network tolerances (beside the per-op table in cuda_test_util.h):
// loss and gradients: float32 through up to 7 conv + BN layers, where BN's backward subtracts two reductions;
// measured against float64. Scale: max(|tensor|, 1e-4 * max|all gradients|), so tensors whose true gradient is 0
// (a conv bias followed by batch norm) are judged against the net's gradient scale, not their own round-off.
constexpr double kNetRtol = 1e-3, kNetAtol = 1e-3;

Tensor philox_tensor(Shape s, uint64_t seed, double lo, double hi) {
  Tensor x = Tensor::empty(s, DType::F32);
  for (int64_t i = 0; i < x.numel(); ++i)
    x.data<float>()[i] = float(lo + (hi - lo) * philox_uniform(seed, 0, uint64_t(i)));
  return x;
}
Tensor soft_targets(int n, int k, uint64_t seed) {
  Tensor y = philox_tensor(Shape{n, k}, seed, 0.05, 1.0);
  for (int r = 0; r < n; ++r) {
    float s = 0;
    for (int c = 0; c < k; ++c) s += y.data<float>()[r * k + c];
    for (int c = 0; c < k; ++c) y.data<float>()[r * k + c] /= s;
  }
  return y;
}
std::vector<float> host_f32(const Tensor& t) {
  Tensor c = t.to(Device::CPU);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}
std::vector<double> host_f64(const Tensor& t) {
  Tensor c = t.to(Device::CPU);
  return std::vector<double>(c.data<double>(), c.data<double>() + c.numel());
}

struct Pair {
  std::unique_ptr<Net> gpu, ref;  // float32 on CUDA; float64 on the CPU, same weights
};
Pair make_nets(const NetConfig& cfg, uint64_t seed) {
  Pair p{build_net(cfg), build_net(cfg)};
  p.ref->params.finalize(Device::CPU, DType::F64, seed);
  p.gpu->params.finalize(Device::CUDA, DType::F32, seed);
  Tensor v32 = p.ref->params.values().to_dtype(DType::F32);  // both start from the same float32 values
  p.gpu->params.values().copy_from(v32);
  p.ref->params.values().copy_from(v32.to_dtype(DType::F64));
  return p;
}

// Compares every trainable parameter's gradient; returns the number of tensors that failed.
int compare_grads(const Net& gpu, const Net& ref, const std::string& label) {
  std::vector<double> all = host_f64(ref.params.grads());
  double gmax = 0;
  for (double g : all) gmax = std::max(gmax, std::fabs(g));
  int failed = 0;
  for (int i = 0; i < ref.params.size(); ++i) {
    const ParamInfo& info = ref.params.info(i);
    if (!info.trainable) continue;
    std::vector<float> g = host_f32(gpu.params.grad(i));
    std::vector<double> r = host_f64(ref.params.grad(i));
    double scale = 1e-4 * gmax;
    for (double v : r) scale = std::max(scale, std::fabs(v));
    size_t bad = 0, worst = 0;
    double worst_err = -1;
    for (size_t j = 0; j < r.size(); ++j) {
      double err = std::fabs(double(g[j]) - r[j]);
      if (!(err <= kNetRtol * std::fabs(r[j]) + kNetAtol * scale)) ++bad;
      if (!(err <= worst_err)) worst_err = err, worst = j;
    }
    if (bad) {
      ++failed;
      ADD_FAILURE() << label << " grad " << info.name << ": " << bad << " of " << r.size()
                    << " outside tolerance; worst [" << worst << "] gpu " << g[worst] << " ref " << r[worst];
    }
  }
  return failed;
}

void network_parity(const NetConfig& cfg, int batch, int task, const char* label) {
  CudaCtx ctx;
  Pair p = make_nets(cfg, 7);
  const int K = p.ref->outputs(task);
  Tensor x32 = philox_tensor(p.ref->input_shape(batch), 11, -1.5, 1.5), t32 = soft_targets(batch, K, 12);
  Tensor xg = x32.to(Device::CUDA), tg = t32.to(Device::CUDA);
  Tensor x64 = x32.to_dtype(DType::F64), t64 = t32.to_dtype(DType::F64);
  Arena ag(Device::CUDA), ac(Device::CPU);
  Tape tgpu(ag, DType::F32), tcpu(ac, DType::F64);
  tgpu.cuda = &ctx;
  tgpu.seed = tcpu.seed = 1234;  // identical dropout masks (Philox on both devices)

  StepResult rg = forward_backward(*p.gpu, tgpu, xg, tg, task);
  StepResult rc = forward_backward(*p.ref, tcpu, x64, t64, task);
  double lg = scalar_value(rg.loss), lc = scalar_value(rc.loss);
  EXPECT_NEAR(lg, lc, kNetRtol * std::fabs(lc)) << label << " loss";
  EXPECT_EQ(compare_grads(*p.gpu, *p.ref, label), 0) << label;

  // Ten Adam steps on the same batch: the loss trajectory and the weights.
  Adam og(p.gpu->params, AdamConfig{}, &ctx), oc(p.ref->params, AdamConfig{});
  for (int s = 0; s < 10; ++s) {
    double a = scalar_value(train_step(*p.gpu, tgpu, og, xg, tg, task).loss);
    double b = scalar_value(train_step(*p.ref, tcpu, oc, x64, t64, task).loss);
    EXPECT_NEAR(a, b, 2 * kNetRtol * std::fabs(b)) << label << " loss at Adam step " << s + 1;
  }
  // Adam's first steps move every weight by about lr * sign(g): where the true gradient is within float32
  // round-off of 0 the sign is noise. So: every element within 20 lr (10 steps of at most ~2 lr apart), and
  // 99.9 % within 1e-3 relative + 1e-5.
  const double lr = AdamConfig{}.lr;
  std::vector<float> vg = host_f32(p.gpu->params.values());
  std::vector<double> vc = host_f64(p.ref->params.values());
  size_t loose = 0, tight_bad = 0;
  for (size_t j = 0; j < vc.size(); ++j) {
    double err = std::fabs(double(vg[j]) - vc[j]);
    if (!(err <= 20 * lr)) ++loose;
    if (!(err <= 1e-3 * std::fabs(vc[j]) + 1e-5)) ++tight_bad;
  }
  EXPECT_EQ(loose, 0u) << label << ": weights after 10 Adam steps differ by more than 20 lr";
  EXPECT_LE(double(tight_bad), 1e-3 * double(vc.size()))
      << label << ": " << tight_bad << " of " << vc.size() << " weights outside 1e-3 rel + 1e-5 after 10 steps";
}

TEST(CudaNetworkParity, Dcnn) {
  AGF_REQUIRE_CUDA();
  NetConfig cfg;  // the paper's DCNN, 16 genres
  network_parity(cfg, 16, 0, "dcnn16");
}

TEST(CudaNetworkParity, Mtn2Task) {
  AGF_REQUIRE_CUDA();
  NetConfig cfg;
  cfg.arch = Arch::mtn;
  cfg.tasks = "gm";
  network_parity(cfg, 8, 0, "mtn_gm task g");
  network_parity(cfg, 8, 1, "mtn_gm task m");
}

TEST(CudaNetworkParity, Mlp) {
  AGF_REQUIRE_CUDA();
  NetConfig cfg;
  cfg.arch = Arch::mlp;
  cfg.inputs = 1280;
  cfg.outputs = 16;
  network_parity(cfg, 64, 0, "mlp1280");
}

// Deterministic mode: two independent runs of 20 training steps at batch 64 end with bitwise identical weights.
TEST(CudaDeterminism, Dcnn20StepsBatch64Bitwise) {
  AGF_REQUIRE_CUDA();
  NetConfig cfg;
  std::vector<float> first;
  for (int run = 0; run < 2; ++run) {
    CudaCtxOptions opt;
    opt.deterministic = true;
    CudaCtx ctx(opt);
    auto net = build_net(cfg);
    net->params.finalize(Device::CUDA, DType::F32, 5);
    Arena arena(Device::CUDA);
    Tape t(arena, DType::F32);
    t.cuda = &ctx;
    t.seed = 99;
    Adam opt_(net->params, AdamConfig{}, &ctx);
    for (int s = 0; s < 20; ++s) {
      Tensor x = philox_tensor(net->input_shape(64), 100 + s, -1.5, 1.5).to(Device::CUDA);
      Tensor y = soft_targets(64, 16, 200 + s).to(Device::CUDA);
      train_step(*net, t, opt_, x, y, 0);
    }
    ctx.synchronize();
    std::vector<float> v = host_f32(net->params.values());
    if (run == 0)
      first = v;
    else
      EXPECT_EQ(0, std::memcmp(first.data(), v.data(), v.size() * sizeof(float)))
          << "two deterministic runs of 20 steps differ";
  }
}

}  // namespace
}  // namespace agf::cudatest
