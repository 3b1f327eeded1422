// Global average pooling CPU reference: y(n,c) = mean_hw x(n,c,hw) (summed in double).
// Backward ACCUMULATES: dx(n,c,hw) += dy(n,c) / HW.
#include "kernels/gap.h"

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

template <typename T> void gap_forward_cpu(T* y, const T* x, int N, int C, int HW) {
  const long long planes = static_cast<long long>(N) * C;
#pragma omp parallel for schedule(static) if (planes * HW > 65536)
  for (long long p = 0; p < planes; ++p) {
    const T* xp = x + p * HW;
    double s = 0;
    for (int i = 0; i < HW; ++i) s += xp[i];
    y[p] = static_cast<T>(s / HW);
  }
}

template <typename T> void gap_backward_cpu(T* dx, const T* dy, int N, int C, int HW) {
  const long long planes = static_cast<long long>(N) * C;
#pragma omp parallel for schedule(static) if (planes * HW > 65536)
  for (long long p = 0; p < planes; ++p) {
    const T g = dy[p] / static_cast<T>(HW);
    T* dxp = dx + p * HW;
    for (int i = 0; i < HW; ++i) dxp[i] += g;
  }
}

template void gap_forward_cpu<float>(float*, const float*, int, int, int);
template void gap_forward_cpu<double>(double*, const double*, int, int, int);
template void gap_backward_cpu<float>(float*, const float*, int, int, int);
template void gap_backward_cpu<double>(double*, const double*, int, int, int);

}  // namespace agf::AGF_ISA_NS
