// Element-wise checks: the number of NaN/Inf values in a buffer.
#pragma once
#include <cstddef>
#include "kernels/cuda_fwd.h"

namespace agf {

template <typename T> size_t count_nonfinite_cpu(const T* x, size_t n);        // #NaN/Inf

#ifdef AGF_HAVE_CUDA
// Writes the count into *count (device int), so it can be read after the step without a sync inside it.
void count_nonfinite_cuda(CudaCtx& ctx, int* count, const float* x, size_t n);
#endif

}  // namespace agf
