// Element-wise checks: the number of NaN/Inf values in a buffer (the trainer's guard against a bad step on CUDA,
// where only the count, not the gradients, comes back to the host).
#pragma once
#include <cstddef>
#include "kernels/backend.h"

namespace agf {

// *count = #NaN/Inf in x (n). On CUDA count is a device int, so it can be read after the step without a sync
// inside it.
template <typename T> void count_nonfinite(Cpu, int* count, const T* x, size_t n);

#ifdef AGF_HAVE_CUDA
void count_nonfinite(CudaCtx& ctx, int* count, const float* x, size_t n);
#endif

}  // namespace agf
