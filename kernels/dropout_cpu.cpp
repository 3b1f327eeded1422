// Inverted dropout CPU reference: keep element i iff philox_uniform(seed, offset, i) >= p (kernels/philox.h),
// y = keep ? x / (1-p) : 0, mask(i) = keep. Backward ACCUMULATES: dx += mask ? dy / (1-p) : 0
// (or overwrites, dx = ..., with accumulate = false).
// A true division (not a multiply by 1/(1-p)), so a CUDA kernel doing the same is bit-identical.
// One Philox block serves four consecutive elements, exactly as philox_u32 defines the stream.
#include "kernels/dropout.h"

#include <algorithm>

#include "kernels/philox.h"

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

template <typename T>
void dropout_forward_cpu(T* y, uint8_t* mask, const T* x, size_t n, float p, uint64_t seed, uint64_t offset) {
  const T keep_frac = T(1) - T(p);
  const uint32_t s0 = static_cast<uint32_t>(seed), s1 = static_cast<uint32_t>(seed >> 32);
  // Chunks of 1024 elements; each recomputes the block it starts in, so chunks are independent.
  const long long chunks = static_cast<long long>((n + 1023) / 1024);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long ch = 0; ch < chunks; ++ch) {
    const size_t i0 = static_cast<size_t>(ch) * 1024, i1 = std::min(n, i0 + 1024);
    Philox4 r{};
    uint64_t cur = ~uint64_t(0);
    for (size_t i = i0; i < i1; ++i) {
      const uint64_t e = offset + i, block = e >> 2;
      if (block != cur || i == i0) {
        r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u, s0, s1);
        cur = block;
      }
      const float u = static_cast<float>(r.v[e & 3] >> 8) * (1.0f / 16777216.0f);
      const bool keep = u >= p;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? x[i] / keep_frac : T(0);
    }
  }
}

template <typename T>
void dropout_backward_cpu(T* dx, const T* dy, const uint8_t* mask, size_t n, float p, bool accumulate) {
  const T keep_frac = T(1) - T(p);  // mask is all zero when p >= 1, so no division by zero is reached
  if (accumulate) {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long i = 0; i < static_cast<long long>(n); ++i)
      if (mask[i]) dx[i] += dy[i] / keep_frac;
  } else {
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long long i = 0; i < static_cast<long long>(n); ++i) dx[i] = mask[i] ? dy[i] / keep_frac : T(0);
  }
}

template void dropout_forward_cpu<float>(float*, uint8_t*, const float*, size_t, float, uint64_t, uint64_t);
template void dropout_forward_cpu<double>(double*, uint8_t*, const double*, size_t, float, uint64_t, uint64_t);
template void dropout_backward_cpu<float>(float*, const float*, const uint8_t*, size_t, float, bool);
template void dropout_backward_cpu<double>(double*, const double*, const uint8_t*, size_t, float, bool);

}  // namespace agf::AGF_ISA_NS
