// ELU CPU reference: y = x > 0 ? x : alpha * expm1(x). Backward from the output, accumulating
// dx += dy * (y > 0 ? 1 : y + alpha)   (for x <= 0, d/dx alpha*(e^x - 1) = alpha*e^x = y + alpha),
// or, with accumulate = false, overwriting dx = dy * (...) (the tape's first writer of a gradient).
// The forward row function (float32: a branch-free expm1, float64: std::expm1) is kernels/elu_row.h.
//
// float32 is written on GCC/Clang vector types (kernels/simd.h): GCC vectorises neither a float select nor a
// float -> int conversion in a plain loop here, and the scalar loops were 25 % of a DCNN training step (issue 13's
// profile). Every lane does the same IEEE operations in the same order as the scalar formula would, so the result
// does not depend on the vector width or instruction set (no FMA contraction: -ffp-contract=off).
#include "kernels/elu.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/elu_row.h"
#include "kernels/simd.h"

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h
namespace {

using simd::vf;
using simd::vi;
constexpr int L = simd::kLanes;

inline vf elu_grad_v(vf dy, vf y, float alpha) { return dy * simd::select(y > 0.f, simd::splat(1.f), y + alpha); }

template <bool Acc> void elu_backward_range(float* dx, const float* dy, const float* y, size_t n, float alpha) {
  size_t i = 0;
  for (; i + L <= n; i += L) {
    const vf g = elu_grad_v(simd::load(dy + i), simd::load(y + i), alpha);
    simd::store(dx + i, Acc ? simd::load(dx + i) + g : g);
  }
  if (i < n) {
    const size_t k = n - i;
    const vf g = elu_grad_v(simd::load_n(dy + i, k), simd::load_n(y + i, k), alpha);
    simd::store_n(dx + i, Acc ? simd::load_n(dx + i, k) + g : g, k);
  }
}

// Blocks of this many elements per OpenMP iteration (a multiple of every lane count).
constexpr size_t kBlock = 4096;

}  // namespace

template <typename T> void elu_forward_cpu(T* y, const T* x, size_t n, T alpha) {
  const long long blocks = static_cast<long long>((n + kBlock - 1) / kBlock);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long b = 0; b < blocks; ++b) {
    const size_t i0 = static_cast<size_t>(b) * kBlock;
    elu_row(y + i0, x + i0, std::min(kBlock, n - i0), alpha);
  }
}

template <typename T> void elu_backward_cpu(T* dx, const T* dy, const T* y, size_t n, T alpha, bool accumulate) {
  if constexpr (std::is_same_v<T, float>) {
    const long long blocks = static_cast<long long>((n + kBlock - 1) / kBlock);
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long b = 0; b < blocks; ++b) {
      const size_t i0 = static_cast<size_t>(b) * kBlock;
      const size_t len = std::min(kBlock, n - i0);
      if (accumulate)
        elu_backward_range<true>(dx + i0, dy + i0, y + i0, len, alpha);
      else
        elu_backward_range<false>(dx + i0, dy + i0, y + i0, len, alpha);
    }
  } else {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long i = 0; i < static_cast<long long>(n); ++i) {
      const T g = dy[i] * (y[i] > T(0) ? T(1) : y[i] + alpha);
      dx[i] = accumulate ? dx[i] + g : g;
    }
  }
}

template void elu_forward_cpu<float>(float*, const float*, size_t, float);
template void elu_forward_cpu<double>(double*, const double*, size_t, double);
template void elu_backward_cpu<float>(float*, const float*, const float*, size_t, float, bool);
template void elu_backward_cpu<double>(double*, const double*, const double*, size_t, double, bool);

}  // namespace agf::AGF_ISA_NS
