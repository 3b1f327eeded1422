// The inference fusions are exact: conv2d_bn_elu_pool_infer equals conv2d -> batchnorm -> elu -> maxpool bit for
// bit (float32 and float64, with and without batch norm and pool, single and grouped samples); a net's inference
// (fused: trace off) equals its traced inference (the separate ops); an MTN's trunk + head equals its forward.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "layers/step.h"

namespace agf {
namespace {

template <typename T> Tensor random_tensor(Shape s, std::mt19937& rng, double lo, double hi) {
  Tensor t = Tensor::empty(s, std::is_same_v<T, float> ? DType::F32 : DType::F64);
  std::uniform_real_distribution<double> d(lo, hi);
  T* p = static_cast<T*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = T(d(rng));
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.bytes() == b.bytes() && std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

struct Case {
  int N, C, H, W, K, R;
  bool bn;
  int kh, kw;
};

template <typename T> void check_case(const Case& c) {
  SCOPED_TRACE(testing::Message() << "N" << c.N << " C" << c.C << " " << c.H << "x" << c.W << " K" << c.K << " R" << c.R
                                  << " bn " << c.bn << " pool " << c.kh << "x" << c.kw << " " << sizeof(T) * 8
                                  << "-bit");
  std::mt19937 rng(7);
  const DType dt = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  Tensor x = random_tensor<T>(Shape{c.N, c.C, c.H, c.W}, rng, -2, 2);
  Tensor w = random_tensor<T>(Shape{c.K, c.C, c.R, c.R}, rng, -0.5, 0.5);
  Tensor b = random_tensor<T>(Shape{c.K}, rng, -0.3, 0.3);
  Tensor g = random_tensor<T>(Shape{c.K}, rng, 0.5, 1.5), be = random_tensor<T>(Shape{c.K}, rng, -0.5, 0.5);
  Tensor rm = random_tensor<T>(Shape{c.K}, rng, -0.5, 0.5), rv = random_tensor<T>(Shape{c.K}, rng, 0.2, 3.0);
  Arena arena(Device::CPU);
  Tape t(arena, dt);
  t.training = false;
  Var xv = t.input(x), wv = t.input(w), bv = t.input(b), gv = t.input(g), bev = t.input(be);
  Var h = conv2d(t, xv, wv, bv);
  if (c.bn) h = batchnorm(t, h, gv, bev, rm, rv, 0.1, 1e-3);
  h = elu(t, h, 1.0);
  if (c.kh != 1 || c.kw != 1) h = maxpool(t, h, c.kh, c.kw);
  BnInference bi{gv, bev, rm, rv, 1e-3};
  Var f = conv2d_bn_elu_pool_infer(t, xv, wv, bv, c.bn ? &bi : nullptr, 1.0, c.kh, c.kw);
  EXPECT_TRUE(same_bits(t.value(h), t.value(f)));
}

TEST(FusedInfer, ConvBnEluPoolEqualsTheOpsInSequence) {
  // HW >= 256: one sample per GEMM; HW small: grouped samples (conv2d_cpu.cpp group_size); 5x5, 3x3 and 1x1.
  const Case cases[] = {{3, 1, 32, 19, 6, 5, false, 2, 1}, {3, 2, 24, 17, 5, 3, true, 2, 2},
                        {5, 4, 8, 5, 7, 3, true, 2, 2},    {9, 3, 4, 2, 8, 3, false, 1, 1},
                        {6, 8, 4, 3, 5, 1, true, 1, 1},    {4, 3, 6, 7, 4, 3, true, 3, 2},
                        {2, 3, 20, 14, 4, 3, false, 1, 1}};
  for (const Case& c : cases) {
    check_case<float>(c);
    check_case<double>(c);
  }
}

TEST(FusedInfer, RefusesTrainingModeAndBadBatchNormShapes) {
  std::mt19937 rng(1);
  Arena arena(Device::CPU);
  Tape t(arena, DType::F32);
  Var x = t.input(random_tensor<float>(Shape{2, 1, 8, 8}, rng, -1, 1));
  Var w = t.input(random_tensor<float>(Shape{3, 1, 3, 3}, rng, -1, 1)),
      b = t.input(random_tensor<float>(Shape{3}, rng, -1, 1));
  t.training = true;
  EXPECT_THROW(conv2d_bn_elu_pool_infer(t, x, w, b, nullptr, 1.0, 2, 2), UsageError);
  t.training = false;
  BnInference bi{t.input(random_tensor<float>(Shape{4}, rng, 0, 1)), t.input(random_tensor<float>(Shape{4}, rng, 0, 1)),
                 random_tensor<float>(Shape{4}, rng, 0, 1), random_tensor<float>(Shape{4}, rng, 1, 2), 1e-3};
  EXPECT_THROW(conv2d_bn_elu_pool_infer(t, x, w, b, &bi, 1.0, 2, 2), ShapeError);
}

// Running statistics away from their (0, 1) initial values, so that the batch norms do something.
void randomise_running_stats(Net& net) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> mean(-0.3f, 0.3f), var(0.3f, 2.f);
  for (int i = 0; i < net.params.size(); ++i) {
    const ParamInfo& p = net.params.info(i);
    const bool is_mean = p.name.find("running_mean") != std::string::npos;
    if (!is_mean && p.name.find("running_var") == std::string::npos) continue;
    Tensor v = net.params.value(i);
    float* d = static_cast<float*>(v.raw());
    for (int64_t j = 0; j < v.numel(); ++j) d[j] = is_mean ? mean(rng) : var(rng);
  }
}

TEST(FusedInfer, NetInferenceEqualsTheTracedOpsAndTheMtnTrunkPlusHead) {
  for (Arch arch : {Arch::stn, Arch::mtn}) {
    NetConfig cfg;
    cfg.arch = arch;
    cfg.tasks = arch == Arch::mtn ? "gsd" : "g";
    auto net = build_net(cfg);
    net->params.finalize(Device::CPU, DType::F32, 5);
    randomise_running_stats(*net);
    std::mt19937 rng(9);
    const Tensor x = random_tensor<float>(net->input_shape(5), rng, -2, 2);
    Arena a1(Device::CPU), a2(Device::CPU), a3(Device::CPU);
    Tape fused(a1, DType::F32), traced(a2, DType::F32), head(a3, DType::F32);
    traced.trace = true;
    for (int k = 0; k < net->num_tasks(); ++k) {
      SCOPED_TRACE(testing::Message() << arch << " task " << k);
      const InferResult f = infer(*net, fused, x, k), r = infer(*net, traced, x, k);
      EXPECT_TRUE(same_bits(f.feature, r.feature));
      EXPECT_TRUE(same_bits(f.logits, r.logits));
      EXPECT_TRUE(same_bits(f.probs, r.probs));
      EXPECT_FALSE(traced.rows.empty());  // the traced pass really ran the separate ops
      traced.rows.clear();
      Arena at(Device::CPU);
      Tape tt(at, DType::F32);
      const Tensor trunk = infer_trunk(*net, tt, x);
      const InferResult h = infer_head(*net, head, trunk, k);
      EXPECT_TRUE(same_bits(h.feature, f.feature));
      EXPECT_TRUE(same_bits(h.logits, f.logits));
    }
  }
}

}  // namespace
}  // namespace agf
