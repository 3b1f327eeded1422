// Max-pool CPU reference: kh x kw windows with stride (kh, kw), 'valid' (Ho = H / kh, Wo = W / kw).
// argmax holds h*W + w within the (H, W) plane; ties keep the first maximum in row-major order.
// Backward ACCUMULATES: dx[argmax] += dy (windows do not overlap, so planes are independent).
#include "kernels/maxpool.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/simd.h"

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h
namespace {

// The DCNN's pools, float32: 2x1 (rows only) on vector types, 2x2 unrolled. The same comparisons in the same
// order as the general loop (a later element wins only when strictly greater, so ties and NaNs keep the first),
// hence the same outputs and argmax (tests/kernels: MaxPool.Float32FastPathsMatchTheGeneralLoop).
void pool_2x1_plane(float* yp, int32_t* ap, const float* xp, int Ho, int W) {
  constexpr int L = simd::kLanes;
  for (int oh = 0; oh < Ho; ++oh) {
    const float* r0 = xp + static_cast<size_t>(2 * oh) * W;
    const float* r1 = r0 + W;
    float* y = yp + static_cast<size_t>(oh) * W;
    int32_t* a = ap + static_cast<size_t>(oh) * W;
    const int base0 = 2 * oh * W, base1 = base0 + W;
    int w = 0;
    for (; w + L <= W; w += L) {
      const simd::vf v0 = simd::load(r0 + w), v1 = simd::load(r1 + w);
      const simd::vi gt = v1 > v0;
      simd::store(y + w, simd::select(gt, v1, v0));
      int32_t m[L];
      std::memcpy(m, &gt, sizeof m);
      for (int j = 0; j < L; ++j) a[w + j] = (m[j] ? base1 : base0) + w + j;
    }
    for (; w < W; ++w) {
      const bool second = r1[w] > r0[w];
      y[w] = second ? r1[w] : r0[w];
      a[w] = (second ? base1 : base0) + w;
    }
  }
}

void pool_2x2_plane(float* yp, int32_t* ap, const float* xp, int Ho, int Wo, int W) {
  for (int oh = 0; oh < Ho; ++oh) {
    const int b0 = 2 * oh * W, b1 = b0 + W;
    const float* r0 = xp + b0;
    const float* r1 = xp + b1;
    float* y = yp + static_cast<size_t>(oh) * Wo;
    int32_t* a = ap + static_cast<size_t>(oh) * Wo;
    for (int ow = 0; ow < Wo; ++ow) {
      const int c = 2 * ow;
      float bv = r0[c];
      int best = b0 + c;
      if (r0[c + 1] > bv) {
        bv = r0[c + 1];
        best = b0 + c + 1;
      }
      if (r1[c] > bv) {
        bv = r1[c];
        best = b1 + c;
      }
      if (r1[c + 1] > bv) {
        bv = r1[c + 1];
        best = b1 + c + 1;
      }
      y[ow] = bv;
      a[ow] = best;
    }
  }
}

}  // namespace

template <typename T>
void maxpool_forward_cpu(T* y, int32_t* argmax, const T* x, int N, int C, int H, int W, int kh, int kw) {
  const int Ho = H / kh, Wo = W / kw;
  const long long planes = static_cast<long long>(N) * C;
#pragma omp parallel for schedule(static) if (planes * H * W > 65536)
  for (long long p = 0; p < planes; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * Ho * Wo;
    int32_t* ap = argmax + p * Ho * Wo;
    if constexpr (std::is_same_v<T, float>) {
      if (kh == 2 && kw == 1) {
        pool_2x1_plane(yp, ap, xp, Ho, W);
        continue;
      }
      if (kh == 2 && kw == 2) {
        pool_2x2_plane(yp, ap, xp, Ho, Wo, W);
        continue;
      }
    }
    for (int oh = 0; oh < Ho; ++oh)
      for (int ow = 0; ow < Wo; ++ow) {
        int best = (oh * kh) * W + ow * kw;
        T bv = xp[best];
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j) {
            const int idx = (oh * kh + i) * W + ow * kw + j;
            if (xp[idx] > bv) {
              bv = xp[idx];
              best = idx;
            }
          }
        yp[oh * Wo + ow] = bv;
        ap[oh * Wo + ow] = best;
      }
  }
}

template <typename T> void maxpool_backward_cpu(T* dx, const T* dy, const int32_t* argmax, int N, int C, int H, int W,
                                                int kh, int kw, bool accumulate) {
  const int Ho = H / kh, Wo = W / kw;
  const long long planes = static_cast<long long>(N) * C;
#pragma omp parallel for schedule(static) if (planes * H * W > 65536)
  for (long long p = 0; p < planes; ++p) {
    T* dxp = dx + p * H * W;
    const T* dyp = dy + p * Ho * Wo;
    const int32_t* ap = argmax + p * Ho * Wo;
    if (!accumulate) std::fill(dxp, dxp + H * W, T(0));  // this plane only, while it is in cache
    for (int i = 0; i < Ho * Wo; ++i) dxp[ap[i]] += dyp[i];
  }
}

#define AGF_INSTANTIATE(T)                                                                    \
  template void maxpool_forward_cpu<T>(T*, int32_t*, const T*, int, int, int, int, int, int); \
  template void maxpool_backward_cpu<T>(T*, const T*, const int32_t*, int, int, int, int, int, int, bool);
AGF_INSTANTIATE(float)
AGF_INSTANTIATE(double)
#undef AGF_INSTANTIATE

}  // namespace agf::AGF_ISA_NS
