// Shared helpers for the CUDA tests: the skip guard, host<->device copies, random inputs, the tolerance table
// and an element-wise comparison that names the worst element. Every CUDA test starts with AGF_REQUIRE_CUDA().
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine/device_cuda.h"
#include "kernels/cuda_ctx.h"

namespace agf::cudatest {

// Makes a context current for the engine's memsets and copies for one scope (then restores the previous
// one), so engine-level tests run the way the trainer does.
class CurrentCtx {
 public:
  explicit CurrentCtx(CudaCtx& c) : prev_(current_cuda_ctx()) { set_current_cuda_ctx(&c); }
  ~CurrentCtx() { set_current_cuda_ctx(prev_); }
  CurrentCtx(const CurrentCtx&) = delete;
  CurrentCtx& operator=(const CurrentCtx&) = delete;

 private:
  CudaCtx* prev_;
};

#define AGF_REQUIRE_CUDA()                                                    \
  do {                                                                        \
    if (::agf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";    \
  } while (0)

// One place for every tolerance, each with its reason. A comparison passes element-wise when
// |gpu - ref| <= rtol * |ref| + atol * max|ref|   (atol is relative to the tensor's largest magnitude, so one
// table serves activations and gradients of any scale). References are the CPU functions in float64 unless noted.
struct Tol {
  const char* op;
  double rtol, atol;
  const char* why;
};
inline const Tol kTols[] = {
    {"conv2d_forward", 1e-4, 2e-5, "FP32 (FMA) math; sums of C*R*S <= 2304 terms in cuDNN's order; Winograd/FFT "
                                   "algorithms add a transform error of a few ulp of the largest term"},
    {"conv2d_backward_data", 1e-4, 2e-5, "FP32 math, sums of K*R*S <= 2304 terms"},
    {"conv2d_backward_filter", 1e-4, 5e-5, "FP32 sums over N*H*W (up to 88k terms) in cuDNN's blocked order"},
    {"batchnorm", 1e-4, 2e-5, "FP32 mean/variance over N*HW values; cuDNN's one-pass (Welford) vs our two-pass"},
    {"batchnorm_backward", 1e-4, 5e-5, "FP32 reductions of dy and dy*xhat over N*HW, then a difference of them"},
    {"elu", 2e-6, 1e-7, "expf vs exp in float64: a few ulp"},
    {"dense", 1e-4, 2e-5, "cuBLAS FP32 GEMM, sums of up to 1024 terms in a blocked order"},
    {"gap", 1e-5, 1e-6, "sums of HW <= 5504 floats, warp-strided order"},
    {"softmax_xent", 1e-5, 1e-6, "expf/logf, sums over K <= 64 and a batch mean over N <= 256 in float32"},
    {"adam", 1e-5, 1e-7, "float32 update, sqrtf and division correctly rounded; reference in float64"},
    {"tf32", 5e-3, 2e-3, "TF32 tensor cores round inputs to a 10-bit mantissa (2^-11 relative per product)"},
    {"exact", 0.0, 0.0, "no arithmetic freedom: copies, max, masks, scaling by one rounded factor"},
    {"elementwise", 1e-6, 2e-7, "one or two rounded float32 operations per element (a*b+c may fuse into an FMA); "
                                "atol covers cancellation in dx0 + dy*f"},
};
inline const Tol& tol(const std::string& op) {
  for (const Tol& t : kTols)
    if (op == t.op) return t;
  throw std::runtime_error("no tolerance for " + op);
}

template <typename T>
inline DeviceBuffer<T> to_device(const std::vector<T>& h) {
  DeviceBuffer<T> d(h.size());
  if (!h.empty()) cuda_memcpy_h2d(d.get(), h.data(), h.size() * sizeof(T));
  return d;
}
template <typename T>
inline std::vector<T> to_host(const DeviceBuffer<T>& d) {
  std::vector<T> h(d.size());
  if (!h.empty()) cuda_memcpy_d2h(h.data(), d.get(), d.bytes());
  return h;
}

inline std::vector<float> randn(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}
inline std::vector<float> uniform(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}
// Tie-free values (a shuffled ramp scaled into [-1, 1)) so max-pool's argmax is unambiguous.
inline std::vector<float> tie_free(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), 0.0f);
  std::mt19937 g(seed);
  std::shuffle(v.begin(), v.end(), g);
  for (float& x : v) x = 2.0f * x / float(n) - 1.0f;
  return v;
}
inline std::vector<double> to_f64(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// Compares a GPU result with a reference under tolerance `op`; names the worst element on failure.
template <typename R>
inline ::testing::AssertionResult close(const std::vector<float>& gpu, const std::vector<R>& ref,
                                        const std::string& op, const std::string& what) {
  const Tol& t = tol(op);
  if (gpu.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": sizes " << gpu.size() << " vs " << ref.size();
  double scale = 0.0;
  for (const R& r : ref) scale = std::max(scale, std::fabs(double(r)));
  size_t worst = 0, bad = 0;
  double worst_excess = -1.0;
  for (size_t i = 0; i < gpu.size(); ++i) {
    double g = gpu[i], r = double(ref[i]);
    double allowed = t.rtol * std::fabs(r) + t.atol * scale;
    double err = std::fabs(g - r);
    if (!(err <= allowed)) ++bad;  // NaN fails
    double excess = std::isnan(err) ? 1e300 : err - allowed;
    if (excess > worst_excess) { worst_excess = excess; worst = i; }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << bad << " of " << gpu.size() << " elements outside "
                                       << op << " tolerance (rtol " << t.rtol << ", atol " << t.atol
                                       << " x max|ref| " << scale << "); worst [" << worst << "] gpu "
                                       << gpu[worst] << " ref " << double(ref[worst]) << " (" << t.why << ")";
}

}  // namespace agf::cudatest
