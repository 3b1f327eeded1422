// The library gradient checker (engine/gradcheck.h, behind `agf gradcheck`): every op passes, and a
// deliberately wrong backward fails with the tensor and the element named.
#include <gtest/gtest.h>

#include "engine/gradcheck.h"
#include "engine/ops.h"

namespace agf {
namespace {

TEST(Gradcheck, EveryOpPasses) {
  for (const std::string& op : gradcheck_op_names()) {
    const std::vector<GradCheckRow> rows = gradcheck_op(op);
    ASSERT_FALSE(rows.empty()) << op;
    for (const GradCheckRow& r : rows) {
      EXPECT_TRUE(r.pass) << r.describe();
      EXPECT_GT(r.checked, 0) << r.describe();
    }
  }
  EXPECT_THROW(gradcheck_op("conv3d"), UsageError);
}

// y = x^2 elementwise whose backward forgets the factor 2 on element 5.
Var bad_square(Tape& t, Var x) {
  const Tensor& xv = t.value(x);
  Tensor y = Tensor::empty(xv.shape(), DType::F64);
  for (int64_t i = 0; i < xv.numel(); ++i) y.data<double>()[i] = xv.data<double>()[i] * xv.data<double>()[i];
  Var out = t.make(y, true);
  t.record([&t, x, out] {
    const Tensor& xv = t.value(x);
    const double* gy = t.grad(out).data<double>();
    double* gx = t.grad(x).data<double>();
    for (int64_t i = 0; i < xv.numel(); ++i) gx[i] += gy[i] * xv.data<double>()[i] * (i == 5 ? 1.0 : 2.0);
  });
  return out;
}

TEST(Gradcheck, AWrongBackwardFailsNamingTheElement) {
  std::vector<double> v(12);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.3 + 0.1 * double(i);
  const std::vector<GradCheckRow> rows = gradcheck_function(
      "bad_square", {{"x", Shape{3, 4}, v}}, [](Tape& t, const std::vector<Var>& in) { return bad_square(t, in[0]); },
      1e-5, 1e-7, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].pass);
  EXPECT_EQ(rows[0].worst, 5);
  EXPECT_EQ(rows[0].checked, 12);
  EXPECT_NE(rows[0].describe().find("bad_square x[5]"), std::string::npos) << rows[0].describe();
}

}  // namespace
}  // namespace agf
