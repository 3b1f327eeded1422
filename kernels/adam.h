// Adam (Kingma & Ba) over one contiguous parameter buffer, plus L2 weight decay on a prefix of it.
// m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr * (m / bc1) / (sqrt(v / bc2) + eps),
// bc1 = 1 - b1^t and bc2 = 1 - b2^t computed once per step on the host and passed in.
// L2: loss += coeff * sum w^2 (Keras/Lasagne convention), so g += 2 * coeff * w.
#pragma once
#include <cstddef>
#include "kernels/backend.h"

namespace agf {

// bc: [bc1, bc2], read when the kernel runs (host memory on the CPU, device memory on CUDA), so a captured step
// (CPU or CUDA graph) replays with each step's corrections. lr, b1, b2, eps by value: constant for a run.
template <typename T>
void adam_update(Cpu, T* p, const T* g, T* m, T* v, size_t n, float lr, float b1, float b2, float eps, const float* bc);
template <typename T> void l2_grad(Cpu, T* g, const T* p, size_t n, float coeff);

#ifdef AGF_HAVE_CUDA
void adam_update(CudaCtx& ctx, float* p, const float* g, float* m, float* v, size_t n, float lr, float b1, float b2,
                 float eps, const float* bc);
void l2_grad(CudaCtx& ctx, float* g, const float* p, size_t n, float coeff);
#endif

}  // namespace agf
