// Softmax + cross-entropy against soft targets (one-hot as a special case), mean over the batch:
// p = softmax(z) per row; loss = -(1/N) sum_n sum_k t(n,k) log p(n,k).
// Backward: dz(n,k) += dloss * (p(n,k) * sum_j t(n,j) - t(n,k)) / N.
#pragma once
#include "kernels/cuda_fwd.h"

namespace agf {

// probs, logits, targets: (N,K). Returns the loss.
template <typename T>
T softmax_xent_forward_cpu(T* probs, const T* logits, const T* targets, int N, int K);
template <typename T>
void softmax_xent_backward_cpu(T* dlogits, const T* probs, const T* targets, int N, int K, T dloss);
// Softmax alone, for inference: probs(N,K) = softmax(logits) per row.
template <typename T>
void softmax_forward_cpu(T* probs, const T* logits, int N, int K);

#ifdef AGF_HAVE_CUDA
// loss: one float in device memory (no host sync inside the step).
void softmax_xent_forward_cuda(CudaCtx& ctx, float* probs, float* loss, const float* logits, const float* targets,
                               int N, int K);
// dloss read from device memory (scalar), so the graph needs no host value.
void softmax_xent_backward_cuda(CudaCtx& ctx, float* dlogits, const float* probs, const float* targets, int N, int K,
                                const float* dloss);
void softmax_forward_cuda(CudaCtx& ctx, float* probs, const float* logits, int N, int K);
#endif

}  // namespace agf
