// Adam (Kingma & Ba) over one contiguous parameter buffer, plus L2 weight decay on a prefix of it.
// m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr * (m / bc1) / (sqrt(v / bc2) + eps),
// bc1 = 1 - b1^t and bc2 = 1 - b2^t computed once per step on the host and passed in.
// L2: loss += coeff * sum w^2 (Keras/Lasagne convention), so g += 2 * coeff * w.
#pragma once
#include <cstddef>
#include "kernels/cuda_fwd.h"

namespace agf {

template <typename T>
void adam_update_cpu(T* p, const T* g, T* m, T* v, size_t n, float lr, float b1, float b2, float eps, float bc1,
                     float bc2);
template <typename T>
void l2_grad_cpu(T* g, const T* p, size_t n, float coeff);

#ifdef AGF_HAVE_CUDA
// Hyper-parameters are read from device memory (5 floats: lr, b1, b2, eps, ... see adam_cuda.cu) or passed by
// value; the CUDA owner documents which. Must be graph-capturable with per-step bias corrections.
void adam_update_cuda(CudaCtx& ctx, float* p, const float* g, float* m, float* v, size_t n, float lr, float b1,
                      float b2, float eps, const float* bc /* device: [bc1, bc2] */);
void l2_grad_cuda(CudaCtx& ctx, float* g, const float* p, size_t n, float coeff);
#endif

}  // namespace agf
