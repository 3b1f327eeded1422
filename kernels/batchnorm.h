// Batch normalisation over channels: statistics per c over (N, HW). HW = 1 for features (N, C).
// Training: mean, biased var -> xhat = (x - mean) * invstd, invstd = 1/sqrt(var + eps); y = gamma*xhat + beta.
// Running stats: r = (1 - momentum) * r + momentum * batch, with the UNBIASED variance (as cuDNN, PyTorch).
#pragma once
#include "kernels/backend.h"

namespace agf {

// y, x: (N,C,HW); gamma, beta, running_*, save_*: (C). Saves mean and invstd for backward.
template <typename T> void batchnorm_forward_train(Cpu, T* y, T* save_mean, T* save_invstd, T* running_mean,
                                                   T* running_var, const T* x, const T* gamma, const T* beta, int N,
                                                   int C, int HW, double momentum, double eps);
template <typename T> void batchnorm_forward_infer(Cpu, T* y, const T* x, const T* gamma, const T* beta,
                                                   const T* running_mean, const T* running_var, int N, int C, int HW,
                                                   double eps);
// dx += ..., dgamma += sum dy*xhat, dbeta += sum dy (training-mode backward). accumulate = false: dx = ...
// (every element written; dgamma and dbeta still accumulate; the tape's first writer of dx).
template <typename T> void batchnorm_backward(Cpu, T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* gamma,
                                              const T* save_mean, const T* save_invstd, int N, int C, int HW,
                                              bool accumulate = true);

#ifdef AGF_HAVE_CUDA
void batchnorm_forward_train(CudaCtx& ctx, float* y, float* save_mean, float* save_invstd, float* running_mean,
                             float* running_var, const float* x, const float* gamma, const float* beta, int N, int C,
                             int HW, double momentum, double eps);
void batchnorm_forward_infer(CudaCtx& ctx, float* y, const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, int N, int C, int HW, double eps);
void batchnorm_backward(CudaCtx& ctx, float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                        const float* gamma, const float* save_mean, const float* save_invstd, int N, int C, int HW,
                        bool accumulate = true);
#endif

}  // namespace agf
