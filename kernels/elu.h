// ELU: y = x > 0 ? x : alpha * (exp(x) - 1). Backward from the OUTPUT: dx += dy * (y > 0 ? 1 : y + alpha)
// (accumulate = false: dx = ..., every element written; CPU only, for the tape's first writer of a gradient).
#pragma once
#include <cstddef>
#include "kernels/cuda_fwd.h"

namespace agf {

template <typename T>
void elu_forward_cpu(T* y, const T* x, size_t n, T alpha);
template <typename T>
void elu_backward_cpu(T* dx, const T* dy, const T* y, size_t n, T alpha, bool accumulate = true);

#ifdef AGF_HAVE_CUDA
void elu_forward_cuda(CudaCtx& ctx, float* y, const float* x, size_t n, float alpha);
void elu_backward_cuda(CudaCtx& ctx, float* dx, const float* dy, const float* y, size_t n, float alpha);
#endif

}  // namespace agf
