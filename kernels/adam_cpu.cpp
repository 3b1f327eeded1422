// Adam CPU reference over one contiguous parameter buffer (Kingma & Ba, Algorithm 1, with the host-computed
// bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t):  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
// p -= lr * (m / bc1) / (sqrt(v / bc2) + eps).  L2 weight decay: g += 2 * coeff * p (loss += coeff * sum p^2).
#include "kernels/adam.h"

#include <cmath>

namespace agf {

template <typename T>
void adam_update_cpu(T* p, const T* g, T* m, T* v, size_t n, float lr, float b1, float b2, float eps, float bc1,
                     float bc2) {
  const T tlr = lr, tb1 = b1, tb2 = b2, teps = eps, tbc1 = bc1, tbc2 = bc2;
  const T c1 = T(1) - tb1, c2 = T(1) - tb2;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) {
    const T gi = g[i];
    const T mi = tb1 * m[i] + c1 * gi;
    const T vi = tb2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= tlr * (mi / tbc1) / (std::sqrt(vi / tbc2) + teps);
  }
}

template <typename T>
void l2_grad_cpu(T* g, const T* p, size_t n, float coeff) {
  const T k = T(2) * T(coeff);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) g[i] += k * p[i];
}

template void adam_update_cpu<float>(float*, const float*, float*, float*, size_t, float, float, float, float, float,
                                     float);
template void adam_update_cpu<double>(double*, const double*, double*, double*, size_t, float, float, float, float,
                                      float, float);
template void l2_grad_cpu<float>(float*, const float*, size_t, float);
template void l2_grad_cpu<double>(double*, const double*, size_t, float);

}  // namespace agf
