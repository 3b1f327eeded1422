// Run-time instruction-set dispatch of the CPU kernels. Every kernels/*_cpu.cpp is compiled once per path
// (CMakeLists.txt: x86-64 baseline, x86-64-v3 = AVX2+FMA, x86-64-v4 = AVX-512; one "native" path with
// AGF_NATIVE=ON or on other architectures) into its own namespace agf::isa_<path>, with Eigen renamed per path
// so that no inline code is shared between paths. The public names (conv2d_forward(Cpu, ...), ...) are defined in
// kernels/cpu_dispatch.cpp and call the path chosen once, at first use: the best one this CPU runs, or the one
// AGF_CPU_ISA names (baseline | avx2 | avx512 | native), which is how the tests run every path on one machine.
// The list of dispatched kernels is kernels/cpu_kernels.inc.
#pragma once
#include <string>
#include <vector>

namespace agf {

enum class CpuIsa { baseline, avx2, avx512, native };

// The path the kernels use (chosen on the first call; AGF_CPU_ISA is read then). Throws UsageError when
// AGF_CPU_ISA names a path this build lacks or this CPU cannot run.
CpuIsa cpu_isa();
const char* cpu_isa_name(CpuIsa isa);
// The paths this build has, and whether this CPU runs a path's instructions.
std::vector<CpuIsa> cpu_isas_built();
bool cpu_runs(CpuIsa isa);
// One line for `agf info`: the path in use, why, and the others built.
std::string cpu_isa_summary();

}  // namespace agf
