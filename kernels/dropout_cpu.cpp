// Inverted dropout CPU reference: keep element i iff philox_uniform(seed, offset, i) >= p (kernels/philox.h),
// y = keep ? x / (1-p) : 0, mask(i) = keep. Backward ACCUMULATES: dx += mask ? dy / (1-p) : 0
// (or overwrites, dx = ..., with accumulate = false).
// A true division (not a multiply by 1/(1-p)), so a CUDA kernel doing the same is bit-identical.
// One Philox block serves four consecutive elements, exactly as philox_u32 defines the stream.
#include "kernels/dropout.h"

#include <algorithm>
#include <cstdint>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels/philox.h"

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h

namespace {

#if defined(__AVX2__)
// lo and hi halves of the eight 32x32-bit products m * a (m the same in every lane).
inline void mulhilo8(__m256i m, __m256i a, __m256i& lo, __m256i& hi) {
  const __m256i even = _mm256_mul_epu32(a, m);                        // lanes 0,2,4,6 as 64-bit products
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);  // lanes 1,3,5,7
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

// Eight consecutive Philox4x32-10 blocks (counters block0 .. block0 + 7, key (k0, k1)), the same rounds as
// philox4x32_10 with one block per lane: out[4 b + j] = output j of block b, i.e. the stream's 32 draws from
// element 4 * block0 on. The scalar loop's 10 rounds of two 64-bit multiplies were most of dropout's time.
inline void philox8(uint32_t* out, uint64_t block0, uint32_t k0, uint32_t k1) {
  alignas(32) uint32_t c[4][8];
  for (int b = 0; b < 8; ++b) {
    c[0][b] = static_cast<uint32_t>(block0 + b);
    c[1][b] = static_cast<uint32_t>((block0 + b) >> 32);
  }
  __m256i c0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(c[0]));
  __m256i c1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(c[1]));
  __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
  const __m256i M0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u)),
                M1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  for (int r = 0; r < 10; ++r) {
    __m256i lo0, hi0, lo1, hi1;
    mulhilo8(M0, c0, lo0, hi0);
    mulhilo8(M1, c2, lo1, hi1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  _mm256_store_si256(reinterpret_cast<__m256i*>(c[0]), c0);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c[1]), c1);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c[2]), c2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(c[3]), c3);
  for (int b = 0; b < 8; ++b)
    for (int j = 0; j < 4; ++j) out[4 * b + j] = c[j][b];
}
#endif

// Elements [i0, i1) of the stream: keep iff u >= p, the same operations per element on every path.
template <typename T> inline void dropout_elems(T* y, uint8_t* mask, const T* x, const uint32_t* draws, size_t i0,
                                                size_t i1, float p, T keep_frac) {
  for (size_t i = i0; i < i1; ++i) {
    const float u = static_cast<float>(static_cast<int32_t>(draws[i - i0] >> 8)) * (1.0f / 16777216.0f);
    const bool keep = u >= p;
    const T q = x[i] / keep_frac;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? q : T(0);
  }
}

}  // namespace

template <typename T>
void dropout_forward_cpu(T* y, uint8_t* mask, const T* x, size_t n, float p, const uint64_t* seed_offset) {
  const uint64_t seed = seed_offset[0], offset = seed_offset[1];  // read when the (possibly recorded) call runs
  const T keep_frac = T(1) - T(p);
  const uint32_t s0 = static_cast<uint32_t>(seed), s1 = static_cast<uint32_t>(seed >> 32);
  // Chunks of 1024 elements; each recomputes the block it starts in, so chunks are independent.
  const long long chunks = static_cast<long long>((n + 1023) / 1024);
#pragma omp parallel for schedule(static) if (n > 65536)
  for (long long ch = 0; ch < chunks; ++ch) {
    const size_t i0 = static_cast<size_t>(ch) * 1024, i1 = std::min(n, i0 + 1024);
    uint32_t draws[32];
    size_t i = i0;
    // Element by element up to a block boundary, then (AVX2) 32 at a time, then the rest.
    auto scalar_until = [&](size_t end) {
      for (; i < end; ++i) {
        draws[0] = philox_u32(seed, offset, i);
        dropout_elems(y, mask, x, draws, i, i + 1, p, keep_frac);
      }
    };
    scalar_until(std::min(i1, i0 + (4 - (offset + i0) % 4) % 4));
#if defined(__AVX2__)
    for (; i + 32 <= i1; i += 32) {
      philox8(draws, (offset + i) >> 2, s0, s1);
      dropout_elems(y, mask, x, draws, i, i + 32, p, keep_frac);
    }
#endif
    for (; i + 4 <= i1; i += 4) {  // whole blocks
      const uint64_t block = (offset + i) >> 2;
      const Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u, s0, s1);
      dropout_elems(y, mask, x, r.v, i, i + 4, p, keep_frac);
    }
    scalar_until(i1);
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

template void dropout_forward_cpu<float>(float*, uint8_t*, const float*, size_t, float, const uint64_t*);
template void dropout_forward_cpu<double>(double*, uint8_t*, const double*, size_t, float, const uint64_t*);
template void dropout_backward_cpu<float>(float*, const float*, const uint8_t*, size_t, float, bool);
template void dropout_backward_cpu<double>(double*, const double*, const uint8_t*, size_t, float, bool);

}  // namespace agf::AGF_ISA_NS
