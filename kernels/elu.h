// ELU: y = x > 0 ? x : alpha * (exp(x) - 1). Backward from the OUTPUT: dx += dy * (y > 0 ? 1 : y + alpha)
// (accumulate = false: dx = ..., every element written; for the tape's first writer of a gradient).
#pragma once
#include <cstddef>
#include "kernels/backend.h"

namespace agf {

template <typename T> void elu_forward(Cpu, T* y, const T* x, size_t n, T alpha);
template <typename T> void elu_backward(Cpu, T* dx, const T* dy, const T* y, size_t n, T alpha, bool accumulate = true);

#ifdef AGF_HAVE_CUDA
void elu_forward(CudaCtx& ctx, float* y, const float* x, size_t n, float alpha);
void elu_backward(CudaCtx& ctx, float* dx, const float* dy, const float* y, size_t n, float alpha,
                  bool accumulate = true);
#endif

}  // namespace agf
