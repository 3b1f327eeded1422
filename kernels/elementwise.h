// Small element-wise ops the tape and the optimizer need.
#pragma once
#include <cstddef>
#include "kernels/cuda_fwd.h"

namespace agf {

template <typename T> void add_inplace_cpu(T* y, const T* x, size_t n);        // y += x
template <typename T> void scale_inplace_cpu(T* y, T a, size_t n);             // y *= a
template <typename T> size_t count_nonfinite_cpu(const T* x, size_t n);        // #NaN/Inf

#ifdef AGF_HAVE_CUDA
void add_inplace_cuda(CudaCtx& ctx, float* y, const float* x, size_t n);
void scale_inplace_cuda(CudaCtx& ctx, float* y, float a, size_t n);
// Writes the count into *count (device int), so it can be read after the step without a sync inside it.
void count_nonfinite_cuda(CudaCtx& ctx, int* count, const float* x, size_t n);
#endif

}  // namespace agf
