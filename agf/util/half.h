// IEEE 754 binary16 (half) and bfloat16 <-> float32 conversion, bit-exact, as inline functions.
// float -> half rounds to nearest, ties to even; handles overflow to inf, NaN (kept quiet, sign
// kept), and subnormal halves (2^-24 .. 2^-14). half -> float is exact.
#pragma once
#include <cstdint>
#include <cstring>

namespace agf {

inline uint32_t float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline uint16_t float_to_half(float f) {
  uint32_t x = float_bits(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t man = x & 0x7fffffu;
  if (exp == 0xffu) {                        // inf or NaN
    if (man == 0) return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | (man >> 13));  // quiet NaN, payload top bits
  }
  int e = static_cast<int>(exp) - 127 + 15;  // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00u;      // too large: inf
  if (e <= 0) {                              // subnormal half or zero
    if (e < -10) return sign;                // below half the smallest subnormal: +-0
    uint32_t m = man | 0x800000u;            // implicit leading 1
    int shift = 14 - e;                      // 14..24
    uint32_t half_man = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_man & 1u))) ++half_man;  // may carry into exp 1: fine
    return static_cast<uint16_t>(sign | half_man);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // carry may round up to inf: correct
  return static_cast<uint16_t>(sign | h);
}

inline float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  if (exp == 0x1fu) return bits_float(sign | 0x7f800000u | (man << 13));  // inf / NaN
  if (exp == 0) {
    if (man == 0) return bits_float(sign);
    // subnormal: man * 2^-24, exact in float
    float v = static_cast<float>(man) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return bits_float(sign | ((exp - 15 + 127) << 23) | (man << 13));
}

// bfloat16: the top 16 bits of a float32, rounded to nearest even; NaN stays NaN.
inline uint16_t float_to_bf16(float f) {
  uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return static_cast<uint16_t>(x >> 16);
}

inline float bf16_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

}  // namespace agf
