// ELU CPU reference: y = x > 0 ? x : alpha * expm1(x). Backward from the output, ACCUMULATES:
// dx += dy * (y > 0 ? 1 : y + alpha)   (for x <= 0, d/dx alpha*(e^x - 1) = alpha*e^x = y + alpha).
#include "kernels/elu.h"

#include <cmath>

namespace agf {

template <typename T>
void elu_forward_cpu(T* y, const T* x, size_t n, T alpha) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i]);
}

template <typename T>
void elu_backward_cpu(T* dx, const T* dy, const T* y, size_t n, T alpha) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) dx[i] += dy[i] * (y[i] > T(0) ? T(1) : y[i] + alpha);
}

template void elu_forward_cpu<float>(float*, const float*, size_t, float);
template void elu_forward_cpu<double>(double*, const double*, size_t, double);
template void elu_backward_cpu<float>(float*, const float*, const float*, size_t, float);
template void elu_backward_cpu<double>(double*, const double*, const double*, size_t, double);

}  // namespace agf
