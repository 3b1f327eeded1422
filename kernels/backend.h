// The backend tags every kernel is overloaded on: one name and one parameter list per op, the first argument
// choosing the backend. `Cpu` runs the CPU reference (templates over T = float, double; kernels/cpu_dispatch.cpp
// picks the instruction-set path); a `CudaCtx&` runs on that context's stream (float32 only, AGF_HAVE_CUDA):
//   conv2d_forward(Cpu{}, y, x, w, b, N, C, H, W, K, R, S);   conv2d_forward(ctx, y, x, w, b, N, C, H, W, K, R, S);
// So engine code writes each kernel call once, over a backend `be` (engine/ops_util.h: dispatch).
#pragma once
#include "kernels/cuda_fwd.h"

namespace agf {

struct Cpu {};

}  // namespace agf
