// `agf gradcheck --device cuda`'s harness (engine/parity.h) on the GPU: every op of gradcheck_op_names(),
// forward and backward through the engine's tape on CUDA in float32, against the float64 CPU tape, under
// the tolerance table the kernel tests use; with cuDNN's default and its deterministic algorithms.
#include <gtest/gtest.h>

#include "engine/gradcheck.h"
#include "engine/parity.h"
#include "tests/cuda/cuda_test_util.h"

namespace agf::cudatest {
namespace {

void every_op(CudaCtx& ctx) {
  for (const std::string& op : gradcheck_op_names()) {
    const std::vector<ParityRow> rows = parity_op(op, ParitySide{Device::CUDA, DType::F32, &ctx});
    ASSERT_FALSE(rows.empty()) << op;
    for (const ParityRow& r : rows) EXPECT_TRUE(r.pass) << r.describe() << " (" << parity_tol(r.tol).why << ")";
  }
}

TEST(CudaParity, GradcheckHarnessEveryOp) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  every_op(ctx);
}

TEST(CudaParity, GradcheckHarnessEveryOpDeterministic) {
  AGF_REQUIRE_CUDA();
  CudaCtxOptions opt;
  opt.deterministic = true;
  CudaCtx ctx(opt);
  every_op(ctx);
}

// The command's entry point: its own context, one row per tensor, the device named.
TEST(CudaParity, GradcheckCommandEntryPoint) {
  AGF_REQUIRE_CUDA();
  std::string device;
  const std::vector<ParityRow> rows = parity_cuda({"dense", "maxpool"}, &device);
  EXPECT_NE(device.find("CUDA device 0"), std::string::npos) << device;
  ASSERT_EQ(rows.size(), 2u * 4 + 2u * 2);  // dense: y dx dw db at two shapes; maxpool: y dx at two
  for (const ParityRow& r : rows) EXPECT_TRUE(r.pass) << r.describe();
}

}  // namespace
}  // namespace agf::cudatest
