// Adam CPU reference over one contiguous parameter buffer (Kingma & Ba, Algorithm 1, with the host-computed
// bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t):  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
// p -= lr * (m / bc1) / (sqrt(v / bc2) + eps).  L2 weight decay: g += 2 * coeff * p (loss += coeff * sum p^2).
#include "kernels/adam.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

// Eigen array expressions in blocks of 4096: vectorised (a plain loop is not, as std::sqrt may set errno), the
// same IEEE operations in the same order per element as the formula above.
template <typename T>
void adam_update_cpu(T* p, const T* g, T* m, T* v, size_t n, float lr, float b1, float b2, float eps, const float* bc) {
  using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
  const T tlr = lr, tb1 = b1, tb2 = b2, teps = eps, tbc1 = bc[0], tbc2 = bc[1];
  const T c1 = T(1) - tb1, c2 = T(1) - tb2;
  const long long blocks = static_cast<long long>((n + 4095) / 4096);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long b = 0; b < blocks; ++b) {
    const size_t i0 = static_cast<size_t>(b) * 4096;
    const Eigen::Index len = static_cast<Eigen::Index>(std::min<size_t>(4096, n - i0));
    Eigen::Map<Arr> pa(p + i0, len), ma(m + i0, len), va(v + i0, len);
    Eigen::Map<const Arr> ga(g + i0, len);
    ma = tb1 * ma + c1 * ga;
    va = tb2 * va + c2 * ga * ga;
    pa -= tlr * (ma / tbc1) / ((va / tbc2).sqrt() + teps);
  }
}

template <typename T> void l2_grad_cpu(T* g, const T* p, size_t n, float coeff) {
  const T k = T(2) * T(coeff);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) g[i] += k * p[i];
}

template void adam_update_cpu<float>(float*, const float*, float*, float*, size_t, float, float, float, float,
                                     const float*);
template void adam_update_cpu<double>(double*, const double*, double*, double*, size_t, float, float, float, float,
                                      const float*);
template void l2_grad_cpu<float>(float*, const float*, size_t, float);
template void l2_grad_cpu<double>(double*, const double*, size_t, float);

}  // namespace agf::AGF_ISA_NS
