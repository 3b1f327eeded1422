// Softmax + cross-entropy against soft targets (one-hot as a special case), mean over the batch:
// p = softmax(z) per row; loss = -(1/N) sum_n sum_k t(n,k) log p(n,k).
// Backward: dz(n,k) += dloss * (p(n,k) * sum_j t(n,j) - t(n,k)) / N.
#pragma once
#include "kernels/backend.h"

namespace agf {

// probs, logits, targets: (N,K); loss: one value in the backend's memory (on CUDA no host sync inside the step).
template <typename T>
void softmax_xent_forward(Cpu, T* probs, T* loss, const T* logits, const T* targets, int N, int K);
// dloss: one value read when the kernel runs (host memory on the CPU, device memory on CUDA), so a captured step
// needs no host value.
template <typename T>
void softmax_xent_backward(Cpu, T* dlogits, const T* probs, const T* targets, int N, int K, const T* dloss);
// Softmax alone, for inference: probs(N,K) = softmax(logits) per row.
template <typename T> void softmax_forward(Cpu, T* probs, const T* logits, int N, int K);

#ifdef AGF_HAVE_CUDA
void softmax_xent_forward(CudaCtx& ctx, float* probs, float* loss, const float* logits, const float* targets, int N,
                          int K);
void softmax_xent_backward(CudaCtx& ctx, float* dlogits, const float* probs, const float* targets, int N, int K,
                           const float* dloss);
void softmax_forward(CudaCtx& ctx, float* probs, const float* logits, int N, int K);
#endif

}  // namespace agf
