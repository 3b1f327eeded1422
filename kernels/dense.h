// Dense (fully connected): y(N,O) = x(N,I) * w(O,I)^T + b(O). Weight layout (O, I) as PyTorch's Linear.
#pragma once
#include "kernels/backend.h"

namespace agf {

template <typename T> void dense_forward(Cpu, T* y, const T* x, const T* w, const T* b, int N, int I, int O);
// dx (N,I) += dy w (dx may be nullptr); dw (O,I) += dy^T x; db (O) += sum_n dy (db may be nullptr)
template <typename T>
void dense_backward(Cpu, T* dx, T* dw, T* db, const T* dy, const T* x, const T* w, int N, int I, int O);

#ifdef AGF_HAVE_CUDA
// cuBLAS SGEMM; FP32 math unless ctx enables TF32.
void dense_forward(CudaCtx& ctx, float* y, const float* x, const float* w, const float* b, int N, int I, int O);
void dense_backward(CudaCtx& ctx, float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                    int N, int I, int O);
#endif

}  // namespace agf
