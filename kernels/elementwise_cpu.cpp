// The number of NaN/Inf values in a buffer (a NaN guard), CPU reference.
#include "kernels/elementwise.h"

#include <cmath>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

template <typename T>
size_t count_nonfinite_cpu(const T* x, size_t n) {
  long long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) bad += std::isfinite(x[i]) ? 0 : 1;
  return static_cast<size_t>(bad);
}

template size_t count_nonfinite_cpu<float>(const float*, size_t);
template size_t count_nonfinite_cpu<double>(const double*, size_t);

}  // namespace agf::AGF_ISA_NS
