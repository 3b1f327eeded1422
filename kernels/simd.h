// Portable short vectors for CPU kernels, on GCC/Clang vector extensions: the compiler lowers them to whatever the
// translation unit is built for (SSE2 pairs at the x86-64 baseline, one AVX2 register, AVX-512), so one source
// serves every instruction-set path. Element-wise IEEE operations only: a lane computes exactly what the scalar
// expression would (no reassociation, no FMA contraction under -ffp-contract=off).
// Included only by kernels/*_cpu.cpp: the vector width differs per instruction-set path (kernels/isa.h), so each
// path gets its own copy in its own namespace.
#pragma once
#ifndef AGF_ISA_NS
#error "kernels/simd.h is for kernels/*_cpu.cpp, which are compiled once per instruction-set path"
#endif
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace agf::AGF_ISA_NS::simd {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#else
constexpr int kLanes = 8;
#endif
typedef float vf __attribute__((vector_size(4 * kLanes)));
typedef int32_t vi __attribute__((vector_size(4 * kLanes)));

inline vf splat(float a) { return vf{} + a; }
inline vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
// The first k < kLanes elements; the rest of the vector is zero.
inline vf load_n(const float* p, size_t k) {
  float t[kLanes] = {};
  std::memcpy(t, p, k * sizeof(float));
  return load(t);
}
inline void store_n(float* p, vf v, size_t k) {
  float t[kLanes];
  store(t, v);
  std::memcpy(p, t, k * sizeof(float));
}
// Lane-wise m ? a : b for a comparison mask m (all ones or all zeros per lane).
inline vf select(vi m, vf a, vf b) {
  return reinterpret_cast<vf>((m & reinterpret_cast<vi>(a)) | (~m & reinterpret_cast<vi>(b)));
}
// std::min / std::max's exact semantics (a NaN or -0 in `a` is returned when the comparison fails).
inline vf min(vf a, vf b) { return select(b < a, b, a); }
inline vf max(vf a, vf b) { return select(a < b, b, a); }

}  // namespace agf::AGF_ISA_NS::simd
