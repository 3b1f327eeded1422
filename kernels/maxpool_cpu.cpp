// Max-pool CPU reference: kh x kw windows with stride (kh, kw), 'valid' (Ho = H / kh, Wo = W / kw).
// argmax holds h*W + w within the (H, W) plane; ties keep the first maximum in row-major order.
// Backward ACCUMULATES: dx[argmax] += dy (windows do not overlap, so planes are independent).
#include "kernels/maxpool.h"

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

template <typename T>
void maxpool_forward_cpu(T* y, int32_t* argmax, const T* x, int N, int C, int H, int W, int kh, int kw) {
  const int Ho = H / kh, Wo = W / kw;
  const long long planes = static_cast<long long>(N) * C;
#pragma omp parallel for schedule(static) if (planes * H * W > 65536)
  for (long long p = 0; p < planes; ++p) {
    const T* xp = x + p * H * W;
    T* yp = y + p * Ho * Wo;
    int32_t* ap = argmax + p * Ho * Wo;
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

template <typename T>
void maxpool_backward_cpu(T* dx, const T* dy, const int32_t* argmax, int N, int C, int H, int W, int kh, int kw) {
  const int Ho = H / kh, Wo = W / kw;
  const long long planes = static_cast<long long>(N) * C;
#pragma omp parallel for schedule(static) if (planes * H * W > 65536)
  for (long long p = 0; p < planes; ++p) {
    T* dxp = dx + p * H * W;
    const T* dyp = dy + p * Ho * Wo;
    const int32_t* ap = argmax + p * Ho * Wo;
    for (int i = 0; i < Ho * Wo; ++i) dxp[ap[i]] += dyp[i];
  }
}

#define AGF_INSTANTIATE(T)                                                                               \
  template void maxpool_forward_cpu<T>(T*, int32_t*, const T*, int, int, int, int, int, int);            \
  template void maxpool_backward_cpu<T>(T*, const T*, const int32_t*, int, int, int, int, int, int);
AGF_INSTANTIATE(float)
AGF_INSTANTIATE(double)
#undef AGF_INSTANTIATE

}  // namespace agf::AGF_ISA_NS
