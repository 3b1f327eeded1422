// conv2d, 'same' zero padding, stride 1, odd kernels (5x5, 3x3, 1x1), with bias.
// y(n,k,h,w) = b(k) + sum_{c,r,s} w(k,c,r,s) * x(n,c,h+r-R/2,w+s-S/2)   (cross-correlation, as cuDNN/PyTorch)
#pragma once
#include "kernels/backend.h"

namespace agf {

// y: (N,K,H,W)  x: (N,C,H,W)  w: (K,C,R,S)  b: (K) or nullptr. Overwrites y.
template <typename T>
void conv2d_forward(Cpu, T* y, const T* x, const T* w, const T* b, int N, int C, int H, int W, int K, int R, int S);
// Inference: y = maxpool_kh x kw(ELU(batchnorm(conv2d(x, w, b)))), the DCNN's repeated unit, in one pass: each
// sample's convolution output gets its batch norm (running statistics, as batchnorm_forward_infer: per channel
// scale = gamma / sqrt(var + eps), shift = beta - mean * scale, in double), ELU and max-pool while it is in cache,
// and only the pooled result is written. gamma == nullptr: no batch norm; kh = kw = 1: no pool. y: (N,K,H/kh,W/kw).
// The same GEMM calls and the same element operations as the four kernels in sequence: the same bits. CPU only.
template <typename T> void conv2d_bn_elu_pool_infer(Cpu, T* y, const T* x, const T* w, const T* b, int N, int C, int H,
                                                    int W, int K, int R, int S, const T* gamma, const T* beta,
                                                    const T* running_mean, const T* running_var, double eps, T alpha,
                                                    int kh, int kw);
// dx (N,C,H,W) += conv_transpose(dy, w); accumulate = false: dx = conv_transpose(dy, w)
template <typename T> void conv2d_backward_data(Cpu, T* dx, const T* dy, const T* w, int N, int C, int H, int W, int K,
                                                int R, int S, bool accumulate = true);
// dw (K,C,R,S) += sum_n dy (x) x ; db (K) += sum_{n,h,w} dy (db may be nullptr)
template <typename T> void conv2d_backward_filter(Cpu, T* dw, T* db, const T* dy, const T* x, int N, int C, int H,
                                                  int W, int K, int R, int S);

#ifdef AGF_HAVE_CUDA
// cuDNN. Algorithms chosen once per shape and cached in ctx; same accumulate semantics as the CPU.
void conv2d_forward(CudaCtx& ctx, float* y, const float* x, const float* w, const float* b, int N, int C, int H, int W,
                    int K, int R, int S);
void conv2d_backward_data(CudaCtx& ctx, float* dx, const float* dy, const float* w, int N, int C, int H, int W, int K,
                          int R, int S, bool accumulate = true);
void conv2d_backward_filter(CudaCtx& ctx, float* dw, float* db, const float* dy, const float* x, int N, int C, int H,
                            int W, int K, int R, int S);
#endif

}  // namespace agf
