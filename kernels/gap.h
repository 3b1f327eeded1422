// Global average pooling: y(n,c) = mean_{hw} x(n,c,hw). Backward: dx(n,c,hw) += dy(n,c) / HW.
#pragma once
#include "kernels/backend.h"

namespace agf {

template <typename T> void gap_forward(Cpu, T* y, const T* x, int N, int C, int HW);
template <typename T> void gap_backward(Cpu, T* dx, const T* dy, int N, int C, int HW);

#ifdef AGF_HAVE_CUDA
void gap_forward(CudaCtx& ctx, float* y, const float* x, int N, int C, int HW);
void gap_backward(CudaCtx& ctx, float* dx, const float* dy, int N, int C, int HW);
#endif

}  // namespace agf
