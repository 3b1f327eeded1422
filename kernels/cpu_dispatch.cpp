// The public CPU kernel entry points: each forwards to the instruction-set path chosen once (kernels/isa.h).
// This file is compiled for the build's base instruction set; the paths are in agf::isa_<path>, one object
// library per path (CMakeLists.txt).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "util/error.h"
#include "kernels/adam.h"
#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/elu.h"
#include "kernels/gap.h"
#include "kernels/isa.h"
#include "kernels/kmeans.h"
#include "kernels/maxpool.h"
#include "kernels/softmax_xent.h"

// Declarations of every path this build compiled (CMake defines AGF_ISA_HAVE_<PATH>): agf::isa_<path>::name_cpu.
#define AGF_CPU_KERNEL(R, name, P, A) template <typename T> R name##_cpu P;

#ifdef AGF_ISA_HAVE_BASELINE
namespace agf::isa_baseline {
#include "kernels/cpu_kernels.inc"
}
#endif
#ifdef AGF_ISA_HAVE_AVX2
namespace agf::isa_avx2 {
#include "kernels/cpu_kernels.inc"
}
#endif
#ifdef AGF_ISA_HAVE_AVX512
namespace agf::isa_avx512 {
#include "kernels/cpu_kernels.inc"
}
#endif
#ifdef AGF_ISA_HAVE_NATIVE
namespace agf::isa_native {
#include "kernels/cpu_kernels.inc"
}
#endif
#undef AGF_CPU_KERNEL

namespace agf {

void* cpu_buffer_alloc(size_t bytes) {
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0));
  AGF_CHECK(p, DeviceError, "out of host memory allocating ", bytes, " bytes of kernel scratch");
  return p;
}
void cpu_buffer_free(void* p) noexcept { std::free(p); }

std::vector<CpuIsa> cpu_isas_built() {
  std::vector<CpuIsa> v;
#ifdef AGF_ISA_HAVE_BASELINE
  v.push_back(CpuIsa::baseline);
#endif
#ifdef AGF_ISA_HAVE_AVX2
  v.push_back(CpuIsa::avx2);
#endif
#ifdef AGF_ISA_HAVE_AVX512
  v.push_back(CpuIsa::avx512);
#endif
#ifdef AGF_ISA_HAVE_NATIVE
  v.push_back(CpuIsa::native);
#endif
  return v;
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::baseline: return "baseline";
    case CpuIsa::avx2: return "avx2";
    case CpuIsa::avx512: return "avx512";
    case CpuIsa::native: return "native";
  }
  return "?";
}

bool cpu_runs(CpuIsa isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (isa) {
    case CpuIsa::baseline: return true;
    // x86-64-v3 as GCC defines it: AVX, AVX2, BMI1/2, F16C, FMA, LZCNT, MOVBE, XSAVE.
    case CpuIsa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("movbe");
    // x86-64-v4: v3 plus AVX-512 F, BW, CD, DQ, VL.
    case CpuIsa::avx512:
      return cpu_runs(CpuIsa::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl");
    case CpuIsa::native: return true;  // built for this machine by the person running it
  }
  return false;
#else
  return isa == CpuIsa::native || isa == CpuIsa::baseline;
#endif
}

namespace {

struct Choice {
  CpuIsa isa;
  std::string why;
};

Choice choose() {
  const std::vector<CpuIsa> built = cpu_isas_built();
  if (const char* env = std::getenv("AGF_CPU_ISA"); env && *env) {
    for (CpuIsa i : built)
      if (std::strcmp(env, cpu_isa_name(i)) == 0) {
        AGF_CHECK(cpu_runs(i), UsageError, "AGF_CPU_ISA=", env, ": this CPU cannot run the ", env,
                  " path (unset AGF_CPU_ISA to use the best path it runs)");
        return {i, "AGF_CPU_ISA"};
      }
    std::string names;
    for (CpuIsa i : built) names += std::string(names.empty() ? "" : ", ") + cpu_isa_name(i);
    throw UsageError(str("AGF_CPU_ISA=", env, ": not a path of this build (it has: ", names, ")"));
  }
  CpuIsa best = built.front();
  for (CpuIsa i : built)
    if (cpu_runs(i)) best = i;  // built in increasing order of width
  return {best, "the widest path this CPU runs"};
}

const Choice& chosen() {
  static const Choice c = choose();
  return c;
}

}  // namespace

CpuIsa cpu_isa() { return chosen().isa; }

std::string cpu_isa_summary() {
  std::string others;
  for (CpuIsa i : cpu_isas_built())
    if (i != cpu_isa())
      others += std::string(others.empty() ? "" : ", ") + cpu_isa_name(i) + (cpu_runs(i) ? "" : " (not on this CPU)");
  return str(cpu_isa_name(cpu_isa()), " (", chosen().why, "; also built: ", others.empty() ? "none" : others, ")");
}

// Public entry points name(Cpu, P...): each returns the chosen path's name_cpu(A...).
#define AGF_PATH_CASE(tag, ns, name, A) \
  case CpuIsa::tag:                     \
    return ns::name##_cpu<T> A;
#define AGF_UNPAREN(...) __VA_ARGS__
#ifdef AGF_ISA_HAVE_BASELINE
#define AGF_CASE_BASELINE(name, A) AGF_PATH_CASE(baseline, isa_baseline, name, A)
#else
#define AGF_CASE_BASELINE(name, A)
#endif
#ifdef AGF_ISA_HAVE_AVX2
#define AGF_CASE_AVX2(name, A) AGF_PATH_CASE(avx2, isa_avx2, name, A)
#else
#define AGF_CASE_AVX2(name, A)
#endif
#ifdef AGF_ISA_HAVE_AVX512
#define AGF_CASE_AVX512(name, A) AGF_PATH_CASE(avx512, isa_avx512, name, A)
#else
#define AGF_CASE_AVX512(name, A)
#endif
#ifdef AGF_ISA_HAVE_NATIVE
#define AGF_CASE_NATIVE(name, A) AGF_PATH_CASE(native, isa_native, name, A)
#else
#define AGF_CASE_NATIVE(name, A)
#endif

#define AGF_CPU_KERNEL(R, name, P, A)                                                           \
  template <typename T> R name(Cpu, AGF_UNPAREN P) {                                            \
    switch (cpu_isa()) {                                                                        \
      AGF_CASE_BASELINE(name, A)                                                                \
      AGF_CASE_AVX2(name, A) AGF_CASE_AVX512(name, A) AGF_CASE_NATIVE(name, A) default : break; \
    }                                                                                           \
    throw Error(str(#name ": no CPU path ", cpu_isa_name(cpu_isa()), " in this build"));        \
  }
#include "kernels/cpu_kernels.inc"
#undef AGF_CPU_KERNEL

// Explicit instantiations: the parameter lists are written in terms of T.
#define AGF_CPU_KERNEL(R, name, P, A) template R name<T>(Cpu, AGF_UNPAREN P);
#define T float
#include "kernels/cpu_kernels.inc"
#undef T
#define T double
#include "kernels/cpu_kernels.inc"
#undef T
#undef AGF_CPU_KERNEL
#undef AGF_UNPAREN

}  // namespace agf
