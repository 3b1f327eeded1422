// Whole-network gradient checks in float64 on the CPU: the DCNN, a 2-task MTN and the MLP, through the
// library checker `agf gradcheck --net` runs (layers/gradcheck_net.cpp, where the step, tolerance and
// relative error are explained). For subsampled elements of EVERY trainable tensor (biases and BN
// included), the analytic gradient of softmax_xent(logits, soft targets) against central differences;
// BN in training mode; dropout on with a replayed mask.
#include <gtest/gtest.h>

#include <cstdio>

#include "layers/gradcheck_net.h"

using namespace agf;

namespace {

void expect_pass(const std::vector<GradCheckRow>& rows) {
  ASSERT_FALSE(rows.empty());
  double worst = 0;
  for (const GradCheckRow& r : rows) {
    EXPECT_TRUE(r.pass) << r.describe();
    EXPECT_GT(r.checked, 0) << r.op << " " << r.tensor;
    worst = std::max(worst, r.max_rel);
  }
  std::printf("max_rel_err %s %.3e (%zu tensors)\n", rows[0].op.c_str(), worst, rows.size());
}

}  // namespace

TEST(NetGradcheck, Dcnn16Float64) { expect_pass(gradcheck_named_net("dcnn")); }
TEST(NetGradcheck, Mtn2TaskFloat64) { expect_pass(gradcheck_named_net("mtn")); }
TEST(NetGradcheck, MlpFloat64) { expect_pass(gradcheck_named_net("mlp")); }
