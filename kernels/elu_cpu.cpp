// ELU CPU reference: y = x > 0 ? x : alpha * expm1(x). Backward from the output, ACCUMULATES:
// dx += dy * (y > 0 ? 1 : y + alpha)   (for x <= 0, d/dx alpha*(e^x - 1) = alpha*e^x = y + alpha).
// float32 uses a branch-free expm1 for x <= 0 (Cody-Waite reduction x = k ln2 + r, degree-8 Taylor on |r| <= 0.35,
// expm1(x) = 2^k expm1(r) + (2^k - 1)): within 2 ulp of the correctly rounded value (tests/kernels), and it
// vectorises, where glibc's expm1f is a scalar call of ~15 ns. float64 calls std::expm1.
#include "kernels/elu.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace agf {
namespace {

// expm1(x) for x in [-87, 0] (callers clamp: expm1(-87) already rounds to -1, and 2^k stays a normal float).
inline float expm1_clamped(float x) {
  // round(x / ln2), x <= 0. A NaN x takes k = 0 (a NaN-to-int conversion is undefined) and still gives NaN via r.
  const float xk = x == x ? x : 0.f;
  const float kf = static_cast<float>(static_cast<int32_t>(xk * 1.44269504f - 0.5f));
  const float r = (x - kf * 0.693359375f) - kf * -2.12194440e-4f;                       // ln2 split hi + lo
  const float p = r + r * r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 +
                  r * (1.0f / 5040 + r * (1.0f / 40320)))))));
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(kf) + 127) << 23;  // unsigned: no UB
  float twok;
  std::memcpy(&twok, &bits, sizeof twok);
  return twok * p + (twok - 1.0f);
}

// y = max(x, 0) + alpha * expm1(min(x, 0)): equal to the ELU (one term is exactly 0). Three simple loops over a
// stack block, because GCC will not vectorise a float select and a float->int conversion in one loop body.
void elu_block(float* y, const float* x, int n, float alpha) {
  float t[256];
  for (int i = 0; i < n; ++i) t[i] = std::max(std::min(x[i], 0.0f), -87.0f);
  for (int i = 0; i < n; ++i) t[i] = expm1_clamped(t[i]);
  for (int i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f) + alpha * t[i];
}

}  // namespace

template <typename T>
void elu_forward_cpu(T* y, const T* x, size_t n, T alpha) {
  if constexpr (std::is_same_v<T, float>) {
    const long long blocks = static_cast<long long>((n + 255) / 256);
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long b = 0; b < blocks; ++b) {
      const size_t i0 = static_cast<size_t>(b) * 256;
      elu_block(y + i0, x + i0, static_cast<int>(std::min<size_t>(256, n - i0)), alpha);
    }
  } else {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long i = 0; i < static_cast<long long>(n); ++i) y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i]);
  }
}

template <typename T>
void elu_backward_cpu(T* dx, const T* dy, const T* y, size_t n, T alpha) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) dx[i] += dy[i] * (y[i] > T(0) ? T(1) : y[i] + alpha);
}

template void elu_forward_cpu<float>(float*, const float*, size_t, float);
template void elu_forward_cpu<double>(double*, const double*, size_t, double);
template void elu_backward_cpu<float>(float*, const float*, const float*, size_t, float);
template void elu_backward_cpu<double>(double*, const double*, const double*, size_t, double);

}  // namespace agf
