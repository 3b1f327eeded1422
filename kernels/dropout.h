// Inverted dropout: keep element i iff philox_uniform(seed, offset, i) >= p; y = keep ? x / (1 - p) : 0.
// The mask (1 = kept) is saved for backward: dx += dy * mask / (1 - p). Same masks on CPU and CUDA.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernels/cuda_fwd.h"

namespace agf {

template <typename T>
void dropout_forward_cpu(T* y, uint8_t* mask, const T* x, size_t n, float p, uint64_t seed, uint64_t offset);
// accumulate = false: dx = ..., every element written (CPU only; the tape's first writer of a gradient).
template <typename T>
void dropout_backward_cpu(T* dx, const T* dy, const uint8_t* mask, size_t n, float p, bool accumulate = true);

#ifdef AGF_HAVE_CUDA
void dropout_forward_cuda(CudaCtx& ctx, float* y, uint8_t* mask, const float* x, size_t n, float p, uint64_t seed,
                          uint64_t offset);
// [seed, offset] read from DEVICE memory (uint64 x 2): the by-value version bakes seed and offset into a captured
// CUDA graph, so every replay would draw the same mask. Same masks as dropout_forward_cpu.
void dropout_forward_cuda(CudaCtx& ctx, float* y, uint8_t* mask, const float* x, size_t n, float p,
                          const uint64_t* seed_offset);
void dropout_backward_cuda(CudaCtx& ctx, float* dx, const float* dy, const uint8_t* mask, size_t n, float p);
#endif

}  // namespace agf
