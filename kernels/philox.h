// Philox 4x32-10 counter-based RNG (Salmon et al., SC'11), identical on host and device.
// Element j of a stream (seed, offset) is lane (j & 3) of philox(counter = (offset + j) >> 2, key = seed),
// so the CPU and the CUDA backends draw bit-identical dropout masks and crops from the same seed.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define AGF_HD __host__ __device__ __forceinline__
#else
#define AGF_HD inline
#endif

namespace agf {

struct Philox4 {
  uint32_t v[4];
};

AGF_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// One block of four 32-bit outputs for a 128-bit counter (c0..c3) and a 64-bit key.
AGF_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = philox_mulhilo(M0, c0, &hi0);
    uint32_t lo1 = philox_mulhilo(M1, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += W0;
    k1 += W1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// The j-th 32-bit draw of stream (seed, offset).
AGF_HD uint32_t philox_u32(uint64_t seed, uint64_t offset, uint64_t j) {
  uint64_t e = offset + j, block = e >> 2;
  Philox4 r = philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u,
                            static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return r.v[e & 3];
}

// Uniform in [0, 1) with 24 random bits: exactly representable in float, same on host and device.
AGF_HD float philox_uniform(uint64_t seed, uint64_t offset, uint64_t j) {
  return static_cast<float>(philox_u32(seed, offset, j) >> 8) * (1.0f / 16777216.0f);
}

}  // namespace agf
