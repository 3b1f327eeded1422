// The number of NaN/Inf values in a buffer, CPU reference of count_nonfinite (kernels/elementwise.h).
#include "kernels/elementwise.h"

#include <cmath>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

template <typename T> void count_nonfinite_cpu(int* count, const T* x, size_t n) {
  long long bad = 0;
#pragma omp parallel for schedule(static) reduction(+ : bad) if (n > 65536)
  for (long long i = 0; i < static_cast<long long>(n); ++i) bad += std::isfinite(x[i]) ? 0 : 1;
  *count = static_cast<int>(bad);
}

template void count_nonfinite_cpu<float>(int*, const float*, size_t);
template void count_nonfinite_cpu<double>(int*, const double*, size_t);

}  // namespace agf::AGF_ISA_NS
