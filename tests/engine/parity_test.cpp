// The parity harness (engine/parity.h, behind `agf gradcheck --device cuda`) on the CPU, where CI runs it:
// the CPU's float32 kernels pass against float64 under the CUDA tolerances, the float64 reference against
// itself is bitwise equal (both sides really get identical inputs), a perturbed result fails naming the
// tensor and the element, and --device cuda without a device is an error, not a CPU run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "engine/device.h"
#include "engine/gradcheck.h"
#include "engine/parity.h"

namespace agf {
namespace {

const ParitySide kCpu32{Device::CPU, DType::F32, nullptr};

TEST(Parity, CpuFloat32AgainstFloat64PassesEveryOp) {
  for (const std::string& op : gradcheck_op_names()) {
    const std::vector<ParityRow> rows = parity_op(op, kCpu32);
    ASSERT_FALSE(rows.empty()) << op;
    std::set<std::string> tensors;
    for (const ParityRow& r : rows) {
      EXPECT_TRUE(r.pass) << r.describe();
      EXPECT_GT(r.elements, 0) << r.describe();
      EXPECT_EQ(r.outside, 0) << r.describe();
      tensors.insert(r.tensor);
    }
    EXPECT_TRUE(tensors.count("y")) << op;
    EXPECT_GE(tensors.size(), 2u) << op << ": y and at least one gradient";
  }
  EXPECT_THROW(parity_op("conv3d", kCpu32), UsageError);
}

TEST(Parity, RowsNameEveryGradientAndState) {
  std::vector<std::string> conv, bn;
  for (const ParityRow& r : parity_op("conv2d", kCpu32))
    if (r.op == "conv2d 3x3") conv.push_back(r.tensor + ":" + r.tol);
  for (const ParityRow& r : parity_op("batchnorm", kCpu32))
    if (r.op == "batchnorm (N,C) train") bn.push_back(r.tensor);
  EXPECT_EQ(conv, (std::vector<std::string>{"y:conv2d_forward", "dx:conv2d_backward_data", "dw:conv2d_backward_filter",
                                            "db:conv2d_backward_filter"}));
  EXPECT_EQ(bn, (std::vector<std::string>{"y", "dx", "dgamma", "dbeta", "running_mean", "running_var"}));
}

// Both sides start from the same values: the reference against itself differs in no bit. The float32 side
// does differ (so the comparison is not vacuous).
TEST(Parity, ReferenceAgainstItselfIsBitwiseEqual) {
  const ParitySide f64{Device::CPU, DType::F64, nullptr};
  for (const std::string& op : gradcheck_op_names()) {
    for (const ParityRow& r : parity_op(op, f64)) EXPECT_EQ(r.max_abs, 0.0) << r.describe();
  }
  double largest = 0;
  for (const ParityRow& r : parity_op("dense", kCpu32)) largest = std::max(largest, r.max_abs);
  EXPECT_GT(largest, 0.0);
}

TEST(Parity, APerturbedResultFailsNamingTensorAndElement) {
  const ParityHook bump = [](const std::string& op, std::vector<ParityTensor>& got) {
    if (op != "conv2d 3x3") return;
    for (ParityTensor& t : got) {
      if (t.name != "dw") continue;
      double scale = 0;
      for (double v : t.values) scale = std::max(scale, std::fabs(v));
      t.values[17] += 1e-3 * scale;  // above the allowance's 1.5e-4 max|ref| at most
    }
  };
  int failed = 0;
  for (const ParityRow& r : parity_op("conv2d", kCpu32, bump)) {
    if (r.op == "conv2d 3x3" && r.tensor == "dw") {
      EXPECT_FALSE(r.pass);
      EXPECT_EQ(r.worst, 17);
      EXPECT_EQ(r.outside, 1);
      EXPECT_NE(r.describe().find("conv2d 3x3 dw[17]: got"), std::string::npos) << r.describe();
      EXPECT_NE(r.describe().find("1 of 4608 elements outside conv2d_backward_filter"), std::string::npos)
          << r.describe();
      ++failed;
    } else {
      EXPECT_TRUE(r.pass) << r.describe();
    }
  }
  EXPECT_EQ(failed, 1);
}

// maxpool's y is compared exactly: a one-ulp change fails.
TEST(Parity, ExactToleranceCatchesOneUlp) {
  const ParityHook ulp = [](const std::string& op, std::vector<ParityTensor>& got) {
    if (op == "maxpool 2x2 (tie-free)") got[0].values[3] = std::nextafter(float(got[0].values[3]), 2.0f);
  };
  bool seen = false;
  for (const ParityRow& r : parity_op("maxpool", kCpu32, ulp)) {
    if (r.op == "maxpool 2x2 (tie-free)" && r.tensor == "y") {
      seen = true;
      EXPECT_FALSE(r.pass) << r.describe();
      EXPECT_EQ(r.worst, 3);
      EXPECT_EQ(r.tol, "exact");
    }
  }
  EXPECT_TRUE(seen);
}

TEST(Parity, CompareRule) {
  // rtol 1e-4, atol 2e-5 x max|ref| (= 2e-5 * 10): element 1 is allowed 1e-4 * 1 + 2e-4 = 3e-4.
  const std::vector<double> ref = {10.0, 1.0, -2.0, 0.0};
  std::vector<double> got = ref;
  got[1] += 2.9e-4;
  ParityRow r = parity_compare("dense", "dx", "dense", got, ref);
  EXPECT_TRUE(r.pass) << r.describe();
  EXPECT_EQ(r.worst, 1);  // nearest to its allowance
  EXPECT_DOUBLE_EQ(r.scale, 10.0);
  got[1] = ref[1] + 3.1e-4;
  r = parity_compare("dense", "dx", "dense", got, ref);
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.outside, 1);
  EXPECT_NEAR(r.max_abs, 3.1e-4, 1e-12);
  got[3] = std::numeric_limits<double>::quiet_NaN();  // NaN fails and is the worst
  r = parity_compare("dense", "dx", "dense", got, ref);
  EXPECT_EQ(r.outside, 2);
  EXPECT_EQ(r.worst, 3);
  EXPECT_TRUE(std::isnan(r.max_abs));
  EXPECT_THROW(parity_compare("dense", "dx", "dense", {1.0}, ref), ShapeError);
  EXPECT_THROW(parity_compare("dense", "dx", "no_such_tolerance", ref, ref), Error);
  EXPECT_TRUE(parity_compare("gap", "y", "gap", {}, {}).pass);
}

// Every tolerance the CUDA tests name is in the one table, with its reason.
TEST(Parity, ToleranceTable) {
  for (const char* n :
       {"conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter", "batchnorm", "batchnorm_backward", "elu",
        "elu_backward", "dense", "gap", "softmax_xent", "adam", "tf32", "exact", "elementwise"}) {
    const ParityTol& t = parity_tol(n);
    EXPECT_GE(t.rtol, 0.0) << n;
    EXPECT_GT(std::string(t.why).size(), 10u) << n;
  }
  EXPECT_EQ(parity_tol("exact").rtol, 0.0);
  EXPECT_EQ(parity_tol("exact").atol, 0.0);
}

// `agf gradcheck --device cuda` without a CUDA build or device: a DeviceError saying which, never rows.
TEST(Parity, CudaWithoutADeviceIsAnError) {
  if (cuda_devices() > 0) GTEST_SKIP() << "a CUDA device is visible (tests/cuda runs the parity there)";
  try {
    parity_cuda({"dense"});
    FAIL() << "parity_cuda ran without a CUDA device";
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(cuda_compiled() ? "no CUDA device visible" : "built without CUDA"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace agf
