// Arena reuse, ParamStore layout, and tape accumulation semantics.
#include <gtest/gtest.h>
#include <cmath>
#include "engine/ops.h"
#include "layers/nets.h"
#include "layers/step.h"

using namespace agf;

TEST(Arena, SteadyStateAllocatesNothing) {
  Arena a(Device::CPU);
  for (int step = 0; step < 3; ++step) {
    a.reset();
    for (int i = 0; i < 50; ++i) a.alloc(Shape{1000 + i}, DType::F32);
  }
  int64_t after_warmup = a.system_allocations();
  for (int step = 0; step < 5; ++step) {
    a.reset();
    for (int i = 0; i < 50; ++i) a.alloc(Shape{1000 + i}, DType::F32);
  }
  EXPECT_EQ(a.system_allocations(), after_warmup);
  EXPECT_GE(a.capacity(), a.high_water());
}

TEST(Arena, DcnnTrainingStepAllocatesNothingAfterWarmup) {
  NetConfig cfg;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F32, 1);
  Adam opt(net->params, AdamConfig{});
  Arena arena(Device::CPU);
  Tape t(arena, DType::F32);
  Tensor x = Tensor::zeros(Shape{4, 1, 128, 43}, DType::F32);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = float((i * 7919) % 101) / 50.f - 1.f;
  Tensor y = Tensor::zeros(Shape{4, 16}, DType::F32);
  for (int n = 0; n < 4; ++n) y.data<float>()[n * 16 + n] = 1.f;
  train_step(*net, t, opt, x, y);
  train_step(*net, t, opt, x, y);
  int64_t warm = arena.system_allocations();
  for (int s = 0; s < 3; ++s) train_step(*net, t, opt, x, y);
  EXPECT_EQ(arena.system_allocations(), warm) << "a steady-state step allocated activation memory";
}

TEST(ParamStore, LayoutDecayedFirstThenTrainableThenBuffers) {
  NetConfig cfg;
  auto net = build_net(cfg);
  ParamStore& ps = net->params;
  ps.finalize(Device::CPU, DType::F64, 3);
  for (int i = 0; i < ps.size(); ++i) {
    const ParamInfo& p = ps.info(i);
    int64_t end = int64_t(p.offset) + p.shape.numel();
    if (p.trainable && p.decay) EXPECT_LE(end, ps.n_decay()) << p.name;
    if (p.trainable && !p.decay) EXPECT_TRUE(int64_t(p.offset) >= ps.n_decay() && end <= ps.n_trainable()) << p.name;
    if (!p.trainable) EXPECT_GE(int64_t(p.offset), ps.n_trainable()) << p.name;
    bool kernel = p.name.find(".weight") != std::string::npos && p.shape.ndim >= 2;
    EXPECT_EQ(p.decay, kernel) << p.name;
  }
  // Glorot limits respected, running variance initialised to 1.
  int w = ps.find("conv2.weight");
  double limit = std::sqrt(6.0 / (16 * 9 + 32 * 9));
  Tensor v = ps.value(w);
  double maxabs = 0;
  for (int64_t i = 0; i < v.numel(); ++i) maxabs = std::max(maxabs, std::fabs(v.data<double>()[i]));
  EXPECT_LE(maxabs, limit);
  EXPECT_GT(maxabs, 0.8 * limit);
  EXPECT_EQ(ps.value(ps.find("bn2.running_var")).data<double>()[5], 1.0);
}

TEST(Tape, BackwardAccumulatesIntoParameterGradients) {
  // Two backward passes without zero_grad must give exactly twice the gradient of one.
  NetConfig cfg;
  cfg.arch = Arch::mlp;
  cfg.inputs = 8;
  cfg.hidden = 6;
  cfg.outputs = 3;
  cfg.drop_in = cfg.drop_fc = 0.f;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F64, 5);
  Arena a(Device::CPU);
  Tape t(a, DType::F64);
  Tensor x = Tensor::zeros(Shape{4, 8}, DType::F64), y = Tensor::zeros(Shape{4, 3}, DType::F64);
  for (int i = 0; i < 32; ++i) x.data<double>()[i] = std::sin(0.7 * i);
  for (int n = 0; n < 4; ++n) y.data<double>()[n * 3 + n % 3] = 1.0;
  forward_backward(*net, t, x, y);
  Tensor once = net->params.grads().to(Device::CPU);
  t.reset();
  Var out = net->forward(t, t.input(x), 0).logits;
  t.backward(softmax_xent(t, out, y));
  Tensor twice = net->params.grads();
  for (int64_t i = 0; i < once.numel(); ++i)
    ASSERT_NEAR(twice.data<double>()[i], 2 * once.data<double>()[i], 1e-15 + 1e-12 * std::fabs(once.data<double>()[i]));
}

TEST(Tape, FirstWriterOfAnActivationGradientOverwritesLaterOnesAccumulate) {
  NetConfig cfg;
  cfg.arch = Arch::mlp;
  cfg.inputs = 2;
  cfg.hidden = 2;
  cfg.outputs = 2;
  auto net = build_net(cfg);
  net->params.finalize(Device::CPU, DType::F32, 1);
  Arena a(Device::CPU);
  Tape t(a, DType::F32);
  Var x = t.input(Tensor::zeros(Shape{3, 4}, DType::F32), true);
  const auto first = t.grad_for_write(x);
  EXPECT_FALSE(first.accumulate);  // uninitialised: the kernel writes every element
  const auto second = t.grad_for_write(x);
  EXPECT_TRUE(second.accumulate);  // fan-out: the second consumer adds to what the first wrote
  EXPECT_EQ(first.grad.raw(), second.grad.raw());
  EXPECT_EQ(t.grad(x).raw(), first.grad.raw());
  Var w = t.param(net->params, 0);  // a ParamStore slice: always accumulated into
  EXPECT_TRUE(t.grad_for_write(w).accumulate);
  EXPECT_EQ(t.grad_for_write(w).grad.raw(), net->params.grad(0).raw());
}

TEST(Ops, ShapeErrorsNameTheOp) {
  Arena a(Device::CPU);
  Tape t(a, DType::F32);
  Var x = t.input(Tensor::zeros(Shape{2, 3, 8, 8}, DType::F32));
  Var w = t.input(Tensor::zeros(Shape{4, 5, 3, 3}, DType::F32));
  Var b = t.input(Tensor::zeros(Shape{4}, DType::F32));
  try {
    conv2d(t, x, w, b);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("conv2d"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(2, 3, 8, 8)"), std::string::npos);
  }
  EXPECT_THROW(maxpool(t, x, 16, 1), ShapeError);
  Var xd = t.input(Tensor::zeros(Shape{2, 3}, DType::F64));
  EXPECT_THROW(dense(t, xd, t.input(Tensor::zeros(Shape{4, 3}, DType::F32)),
                     t.input(Tensor::zeros(Shape{4}, DType::F32))),
               DTypeError);
}
