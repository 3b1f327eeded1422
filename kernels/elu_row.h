// The ELU of one contiguous row, shared by the ELU kernel (elu_cpu.cpp) and the fused inference epilogue of the
// convolution (conv2d_cpu.cpp), so that the two give the same bits. float32: a branch-free expm1 for x <= 0
// (Cody-Waite reduction x = k ln2 + r, degree-8 Taylor on |r| <= 0.35, expm1(x) = 2^k expm1(r) + (2^k - 1)), within
// 2 ulp of the correctly rounded value (tests/kernels); every lane does the same IEEE operations as the scalar
// formula would, so a value does not depend on its position in the row, the vector width or the instruction set.
// float64: std::expm1.
#pragma once
#include <cmath>
#include <cstddef>

#include "kernels/simd.h"

namespace agf::AGF_ISA_NS::elu_detail {

using simd::vf;
using simd::vi;

// expm1(x) for x in [-87, 0] (callers clamp: expm1(-87) already rounds to -1, and 2^k stays a normal float).
inline vf expm1_clamped(vf x) {
  // round(x / ln2), x <= 0. A NaN lane takes k = 0 (a NaN-to-int conversion is undefined) and still gives NaN via r.
  const vf xk = simd::select(x == x, x, simd::splat(0.f));
  const vi ki = __builtin_convertvector(xk * 1.44269504f - 0.5f, vi);  // truncation toward zero, as static_cast
  const vf kf = __builtin_convertvector(ki, vf);
  const vf r = (x - kf * 0.693359375f) - kf * -2.12194440e-4f;  // ln2 split hi + lo
  const vf p =
      r +
      r * r *
          (0.5f + r * (1.0f / 6 +
                       r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040 + r * (1.0f / 40320)))))));
  const vf twok = reinterpret_cast<vf>((ki + 127) << 23);
  return twok * p + (twok - 1.0f);
}

// y = max(x, 0) + alpha * expm1(max(min(x, 0), -87)): equal to the ELU (one term is exactly 0); a NaN input gives
// NaN through the expm1 term.
inline vf elu_v(vf x, float alpha) {
  const vf zero = simd::splat(0.f);
  const vf neg = simd::max(simd::min(x, zero), simd::splat(-87.f));
  return simd::max(x, zero) + alpha * expm1_clamped(neg);
}

}  // namespace agf::AGF_ISA_NS::elu_detail

namespace agf::AGF_ISA_NS {

// y[0, n) = ELU(x[0, n)); y == x is allowed.
inline void elu_row(float* y, const float* x, size_t n, float alpha) {
  constexpr int L = simd::kLanes;
  size_t i = 0;
  for (; i + L <= n; i += L) simd::store(y + i, elu_detail::elu_v(simd::load(x + i), alpha));
  if (i < n) simd::store_n(y + i, elu_detail::elu_v(simd::load_n(x + i, n - i), alpha), n - i);
}
inline void elu_row(double* y, const double* x, size_t n, double alpha) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0 ? x[i] : alpha * std::expm1(x[i]);
}

}  // namespace agf::AGF_ISA_NS
