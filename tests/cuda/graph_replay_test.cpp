// A whole training step built from the kernels alone (conv -> BN -> ELU -> dropout -> GAP -> dense -> softmax
// cross-entropy, backward, Adam), captured once as a CUDA graph and replayed: the result must equal the eager
// steps bit for bit (deterministic algorithms). Per-step scalars travel through device memory (Adam's [bc1, bc2],
// dropout's [seed, offset]), written between launches, which is what makes replay correct as the step advances.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernels/adam.h"
#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/dropout.h"
#include "kernels/elu.h"
#include "kernels/gap.h"
#include "kernels/softmax_xent.h"
#include "tests/cuda/cuda_test_util.h"

namespace agf::cudatest {
namespace {

constexpr int N = 8, C = 1, H = 16, W = 16, K = 4, R = 3, O = 5, HW = H * W;
// Parameter layout in one buffer: conv w, conv b, gamma, beta, dense w, dense b.
constexpr size_t oCW = 0, oCB = oCW + K * C * R * R, oG = oCB + K, oB = oG + K, oDW = oB + K, oDB = oDW + O * K,
                 nP = oDB + O;
constexpr size_t nAct = size_t(N) * K * HW;

struct MiniNet {
  DeviceBuffer<float> P{nP}, G{nP}, M{nP}, V{nP}, rm{K}, rv{K};
  DeviceBuffer<float> x{size_t(N) * C * HW}, dx{size_t(N) * C * HW}, t{size_t(N) * O};
  DeviceBuffer<float> y1{nAct}, bn{nAct}, e{nAct}, d{nAct}, mean{K}, inv{K}, g{size_t(N) * K}, z{size_t(N) * O};
  DeviceBuffer<float> p{size_t(N) * O}, loss{1}, dloss{1}, bc{2};
  DeviceBuffer<float> dz{size_t(N) * O}, dg{size_t(N) * K}, dd{nAct}, de{nAct}, dbn{nAct}, dy1{nAct};
  DeviceBuffer<uint8_t> mask{nAct};
  DeviceBuffer<uint64_t> seed_offset{2};

  explicit MiniNet(CudaCtx& ctx) {
    std::vector<float> hp = randn(nP, 201, 0.3f);
    for (size_t i = oG; i < oB; ++i) hp[i] = 1.0f;
    for (size_t i = oB; i < oDW; ++i) hp[i] = 0.0f;
    cuda_memcpy_h2d(P.get(), hp.data(), nP * sizeof(float));
    std::vector<float> zeros(nP, 0.0f), ones(K, 1.0f), one{1.0f};
    cuda_memcpy_h2d(M.get(), zeros.data(), nP * sizeof(float));
    cuda_memcpy_h2d(V.get(), zeros.data(), nP * sizeof(float));
    cuda_memcpy_h2d(rm.get(), zeros.data(), K * sizeof(float));
    cuda_memcpy_h2d(rv.get(), ones.data(), K * sizeof(float));
    cuda_memcpy_h2d(dloss.get(), one.data(), sizeof(float));
    std::vector<float> hx = randn(x.size(), 202), ht = uniform(t.size(), 203, 0.0f, 1.0f);
    cuda_memcpy_h2d(x.get(), hx.data(), x.bytes());
    cuda_memcpy_h2d(t.get(), ht.data(), t.bytes());
  }

  // Host side of step s (1-based), outside any graph: the scalars the step reads from device memory.
  void set_step_scalars(int s) {
    const float b1 = 0.9f, b2 = 0.999f;
    float hbc[2] = {1.0f - std::pow(b1, float(s)), 1.0f - std::pow(b2, float(s))};
    uint64_t hso[2] = {4242, uint64_t(s) * nAct};
    cuda_memcpy_h2d(bc.get(), hbc, sizeof(hbc));
    cuda_memcpy_h2d(seed_offset.get(), hso, sizeof(hso));
  }

  // Everything a training step issues to the stream: capturable (no allocation, no sync, no host reads).
  void step(CudaCtx& ctx) {
    for (auto* b : {&G, &dx, &dz, &dg, &dd, &de, &dbn, &dy1}) cuda_memset_async(ctx, b->get(), 0, b->bytes());
    float* P_ = P.get();
    float* G_ = G.get();
    conv2d_forward(ctx, y1.get(), x.get(), P_ + oCW, P_ + oCB, N, C, H, W, K, R, R);
    batchnorm_forward_train(ctx, bn.get(), mean.get(), inv.get(), rm.get(), rv.get(), y1.get(), P_ + oG, P_ + oB, N, K,
                            HW, 0.01, 1e-3);
    elu_forward(ctx, e.get(), bn.get(), nAct, 1.0f);
    dropout_forward(ctx, d.get(), mask.get(), e.get(), nAct, 0.1f, seed_offset.get());
    gap_forward(ctx, g.get(), d.get(), N, K, HW);
    dense_forward(ctx, z.get(), g.get(), P_ + oDW, P_ + oDB, N, K, O);
    softmax_xent_forward(ctx, p.get(), loss.get(), z.get(), t.get(), N, O);
    softmax_xent_backward(ctx, dz.get(), p.get(), t.get(), N, O, dloss.get());
    dense_backward(ctx, dg.get(), G_ + oDW, G_ + oDB, dz.get(), g.get(), P_ + oDW, N, K, O);
    gap_backward(ctx, dd.get(), dg.get(), N, K, HW);
    dropout_backward(ctx, de.get(), dd.get(), mask.get(), nAct, 0.1f);
    elu_backward(ctx, dbn.get(), de.get(), e.get(), nAct, 1.0f);
    batchnorm_backward(ctx, dy1.get(), G_ + oG, G_ + oB, dbn.get(), y1.get(), P_ + oG, mean.get(), inv.get(), N, K, HW);
    conv2d_backward_filter(ctx, G_ + oCW, G_ + oCB, dy1.get(), x.get(), N, C, H, W, K, R, R);
    conv2d_backward_data(ctx, dx.get(), dy1.get(), P_ + oCW, N, C, H, W, K, R, R);
    l2_grad(ctx, G_, P_, oCB, 1e-4f);
    adam_update(ctx, P_, G_, M.get(), V.get(), nP, 1e-2f, 0.9f, 0.999f, 1e-8f, bc.get());
  }

  std::vector<float> state() const {
    std::vector<float> s;
    for (const DeviceBuffer<float>* b : {&P, &M, &V, &rm, &rv, &loss, &dx}) {
      auto h = to_host(*b);
      s.insert(s.end(), h.begin(), h.end());
    }
    return s;
  }
};

TEST(CudaGraph, ReplayedTrainingStepEqualsEager) {
  AGF_REQUIRE_CUDA();
  CudaCtxOptions opt;
  opt.deterministic = true;
  CudaCtx ctx(opt);
  const int steps = 6;

  MiniNet eager(ctx);
  std::vector<float> first_loss;
  for (int s = 1; s <= steps; ++s) {
    eager.set_step_scalars(s);
    eager.step(ctx);
    ctx.synchronize();
    if (s == 1) first_loss = to_host(eager.loss);
  }
  std::vector<float> want = eager.state();

  MiniNet replayed(ctx);
  replayed.set_step_scalars(1);
  replayed.step(ctx);  // step 1 eagerly: chooses the conv plans outside the capture
  ctx.synchronize();
  EXPECT_EQ(to_host(replayed.loss), first_loss);
  CudaGraph graph;
  graph.begin(ctx);
  replayed.step(ctx);
  graph.end(ctx);
  EXPECT_GT(graph.num_nodes(), 15u);
  for (int s = 2; s <= steps; ++s) {
    replayed.set_step_scalars(s);  // the previous launch has finished: synchronised below
    graph.launch(ctx);
    ctx.synchronize();
  }
  std::vector<float> got = replayed.state();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
      << "graph replay differs from the eager steps";
  // And the steps did something: the loss moved.
  EXPECT_NE(to_host(replayed.loss)[0], first_loss[0]);
}

}  // namespace
}  // namespace agf::cudatest
