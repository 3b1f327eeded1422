// The CUDA device layer: error macros and their messages (these run without a GPU: they only format errors),
// the no-device path, and with a GPU: the out-of-memory message, the device summary, plans cached per shape.
#include <gtest/gtest.h>

#include <string>

#include "kernels/conv2d.h"
#include "tests/cuda/cuda_test_util.h"

namespace agf::cudatest {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

template <typename F> std::string thrown_device_error(F f) {
  try {
    f();
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "<no DeviceError thrown>";
}

// W4 (host logic, no GPU needed): TF32 mode never lets cuDNN down-convert FP32 tensors (ALLOW_CONVERSION
// permits FP16); FP32 mode pins FMA math whatever the candidate was ranked with.
TEST(CudaConvMath, Tf32NeverAllowsConversionAndFp32PinsFma) {
  EXPECT_EQ(conv_math_type(true, CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION), CUDNN_TENSOR_OP_MATH);
  EXPECT_EQ(conv_math_type(true, CUDNN_TENSOR_OP_MATH), CUDNN_TENSOR_OP_MATH);
  EXPECT_EQ(conv_math_type(true, CUDNN_DEFAULT_MATH), CUDNN_DEFAULT_MATH);
  EXPECT_EQ(conv_math_type(true, CUDNN_FMA_MATH), CUDNN_FMA_MATH);
  for (cudnnMathType_t m :
       {CUDNN_DEFAULT_MATH, CUDNN_TENSOR_OP_MATH, CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION, CUDNN_FMA_MATH})
    EXPECT_EQ(conv_math_type(false, m), CUDNN_FMA_MATH);
}

// K4 (runs where the runtime sees no GPU, as in CI): the reason is kept, and a context names it instead of
// a bare "no device".
TEST(CudaErrors, NoDeviceKeepsTheRuntimesReason) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present: the no-device path cannot be shown";
  const cudaError_t e = cuda_device_count_error();
  EXPECT_NE(e, cudaSuccess) << "cudaGetDeviceCount failed but its error was not kept";
  std::string m = thrown_device_error([] { CudaCtx ctx; });
  EXPECT_TRUE(contains(m, cudaGetErrorName(e))) << m;
  EXPECT_TRUE(contains(m, "--device cpu")) << m;
}

TEST(CudaErrors, CudaCheckNamesExpressionFileAndLibraryMessage) {
  std::string m = thrown_device_error([] { CUDA_CHECK(cudaErrorInvalidValue); });
  EXPECT_TRUE(contains(m, "cudaErrorInvalidValue")) << m;
  EXPECT_TRUE(contains(m, "cuda_ctx_test.cpp:")) << m;
  EXPECT_TRUE(contains(m, "invalid argument")) << m;  // cudaGetErrorString's text
}

TEST(CudaErrors, CudnnCublasCufftChecksThrowDeviceError) {
  std::string a = thrown_device_error([] { CUDNN_CHECK(CUDNN_STATUS_BAD_PARAM); });
  EXPECT_TRUE(contains(a, "CUDNN_STATUS_BAD_PARAM")) << a;
  std::string b = thrown_device_error([] { CUBLAS_CHECK(CUBLAS_STATUS_INVALID_VALUE); });
  EXPECT_TRUE(contains(b, "CUBLAS_STATUS_INVALID_VALUE")) << b;
  std::string c = thrown_device_error([] { CUFFT_CHECK(CUFFT_INVALID_SIZE); });
  EXPECT_TRUE(contains(c, "CUFFT_INVALID_SIZE")) << c;
}

TEST(CudaErrors, NoKernelImageSuggestsRebuildingForTheGpu) {
  std::string m = cuda_error_text(cudaErrorNoKernelImageForDevice);
  EXPECT_TRUE(contains(m, "sm_80/sm_90")) << m;
  EXPECT_TRUE(contains(m, "-DCMAKE_CUDA_ARCHITECTURES=")) << m;
}

TEST(CudaDevice, CountNeverThrows) {
  int n = -1;
  EXPECT_NO_THROW(n = cuda_device_count());
  EXPECT_GE(n, 0);
}

TEST(CudaDevice, ContextWithoutDeviceIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present (this checks the no-device message)";
  std::string m = thrown_device_error([] { CudaCtx ctx; });
  EXPECT_TRUE(contains(m, "no CUDA device")) << m;
}

TEST(CudaDevice, OutOfMemoryNamesFreeTotalAndBatch) {
  AGF_REQUIRE_CUDA();
  std::string m = thrown_device_error([] { cuda_malloc(size_t(1) << 50); });  // 1 PiB
  EXPECT_TRUE(contains(m, "out of memory")) << m;
  EXPECT_TRUE(contains(m, "free")) << m;
  EXPECT_TRUE(contains(m, "smaller --batch")) << m;
  void* p = nullptr;
  EXPECT_NO_THROW(p = cuda_malloc(1 << 20)) << "the failed allocation must not poison later ones";
  cuda_free(p);
}

TEST(CudaDevice, SummaryNamesVersions) {
  AGF_REQUIRE_CUDA();
  std::string s = cuda_device_summary(0);
  EXPECT_TRUE(contains(s, "sm_")) << s;
  EXPECT_TRUE(contains(s, "cuDNN 9.")) << s;
  std::printf("%s\n", s.c_str());
}

TEST(CudaDevice, ContextIsMoveOnlyAndPlansAreCached) {
  AGF_REQUIRE_CUDA();
  CudaCtx a;
  ConvPlan* p1 = &a.conv_plan(8, 16, 64, 43, 32, 3, 3);
  CudaCtx b(std::move(a));
  EXPECT_EQ(a.stream, nullptr);
  EXPECT_NE(b.stream, nullptr);
  ConvPlan* p2 = &b.conv_plan(8, 16, 64, 43, 32, 3, 3);
  EXPECT_EQ(p1, p2) << "the plan must be chosen once per shape and survive the move";
  b.deterministic = true;
  EXPECT_NE(&b.conv_plan(8, 16, 64, 43, 32, 3, 3), p2) << "other flags, other plan";
}

TEST(CudaDevice, EvenKernelIsAShapeError) {
  AGF_REQUIRE_CUDA();
  CudaCtx ctx;
  EXPECT_THROW(ctx.conv_plan(1, 1, 8, 8, 1, 2, 2), ShapeError);
}

}  // namespace
}  // namespace agf::cudatest
