// Max-pool kh x kw with stride (kh, kw), 'valid' (floor): Ho = H / kh, Wo = W / kw.
// Forward saves the argmax (index h*W + w within the (H, W) plane); backward scatters through it.
#pragma once
#include <cstdint>
#include "kernels/backend.h"

namespace agf {

// y, argmax: (N,C,Ho,Wo); x: (N,C,H,W). Ties: the first maximum in row-major order.
template <typename T>
void maxpool_forward(Cpu, T* y, int32_t* argmax, const T* x, int N, int C, int H, int W, int kh, int kw);
// dx (N,C,H,W) += scatter(dy, argmax); accumulate = false: dx = scatter(dy, argmax), every element written
template <typename T> void maxpool_backward(Cpu, T* dx, const T* dy, const int32_t* argmax, int N, int C, int H, int W,
                                            int kh, int kw, bool accumulate = true);

#ifdef AGF_HAVE_CUDA
void maxpool_forward(CudaCtx& ctx, float* y, int32_t* argmax, const float* x, int N, int C, int H, int W, int kh,
                     int kw);
void maxpool_backward(CudaCtx& ctx, float* dx, const float* dy, const int32_t* argmax, int N, int C, int H, int W,
                      int kh, int kw, bool accumulate = true);
#endif

}  // namespace agf
