// Learning test: the DCNN, trained on the CPU in float32 on generated 128x43 "spectrograms" of 4
// classes (each class raises a different band of mel bins, at a random time shift, under noise),
// must classify held-out samples with >= 90 % accuracy after 50 Adam steps at batch 32.
// Evaluation is in inference mode (BN running statistics, dropout off). BN momentum is 0.1 here
// (the paper's 0.01 needs ~500 steps before the running statistics settle; this test has 50).
#include <gtest/gtest.h>
#include <cmath>
#include <cstdio>
#include "kernels/philox.h"
#include "layers/step.h"

using namespace agf;

namespace {

void make_batch(Tensor& x, Tensor& y, int n, uint64_t seed, int* labels) {
  float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (int i = 0; i < n * 4; ++i) yp[i] = 0.f;
  for (int s = 0; s < n; ++s) {
    int label = int(philox_u32(seed, 0, uint64_t(s)) % 4);
    labels[s] = label;
    yp[s * 4 + label] = 1.f;
    int shift = int(philox_u32(seed, 1u << 20, uint64_t(s)) % 20);
    for (int m = 0; m < 128; ++m)
      for (int t = 0; t < 43; ++t) {
        float noise = 2.f * philox_uniform(seed, 1u << 24, uint64_t((s * 128 + m) * 43 + t)) - 1.f;
        bool band = m >= 24 * label + 8 && m < 24 * label + 28 && (t + shift) % 20 < 12;
        xp[(s * 128 + m) * 43 + t] = noise + (band ? 1.5f : 0.f);
      }
  }
}

}  // namespace

TEST(Learning, DcnnSeparatesFourClassesOnCpu) {
  NetConfig cfg;
  cfg.outputs = 4;
  cfg.bn.momentum = 0.1;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F32, 42);
  Adam opt(net->params, AdamConfig{});
  Arena arena(Device::CPU);
  Tape t(arena, DType::F32);
  const int B = 32;
  Tensor x = Tensor::empty(Shape{B, 1, 128, 43}, DType::F32), y = Tensor::empty(Shape{B, 4}, DType::F32);
  int labels[64];
  double first = 0, last = 0;
  for (int step = 0; step < 50; ++step) {
    make_batch(x, y, B, 1000 + uint64_t(step), labels);
    t.seed = uint64_t(step);
    double loss = scalar_value(train_step(*net, t, opt, x, y).loss);
    if (step == 0) first = loss;
    last = loss;
  }
  Tensor xt = Tensor::empty(Shape{64, 1, 128, 43}, DType::F32), yt = Tensor::empty(Shape{64, 4}, DType::F32);
  make_batch(xt, yt, 64, 99999, labels);
  InferResult r = infer(*net, t, xt);
  int correct = 0;
  for (int s = 0; s < 64; ++s) {
    const float* p = r.probs.data<float>() + s * 4;
    int arg = int(std::max_element(p, p + 4) - p);
    correct += arg == labels[s];
  }
  double acc = correct / 64.0;
  std::printf("learning: loss %.3f -> %.3f after 50 steps, held-out accuracy %.3f\n", first, last, acc);
  EXPECT_LT(last, first);
  EXPECT_GE(acc, 0.90);
}
