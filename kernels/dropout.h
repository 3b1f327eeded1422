// Inverted dropout: keep element i iff philox_uniform(seed, offset, i) >= p; y = keep ? x / (1 - p) : 0.
// The mask (1 = kept) is saved for backward: dx += dy * mask / (1 - p). Same masks on CPU and CUDA.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernels/backend.h"

namespace agf {

// seed_offset: [seed, offset] (uint64 x 2), read when the kernel runs (host memory on the CPU, device memory on
// CUDA): a captured step (CPU or CUDA graph) then draws a fresh mask at every replay once the slot is rewritten.
template <typename T>
void dropout_forward(Cpu, T* y, uint8_t* mask, const T* x, size_t n, float p, const uint64_t* seed_offset);
// accumulate = false: dx = ..., every element written (the tape's first writer of a gradient).
template <typename T>
void dropout_backward(Cpu, T* dx, const T* dy, const uint8_t* mask, size_t n, float p, bool accumulate = true);

#ifdef AGF_HAVE_CUDA
void dropout_forward(CudaCtx& ctx, float* y, uint8_t* mask, const float* x, size_t n, float p,
                     const uint64_t* seed_offset);
void dropout_backward(CudaCtx& ctx, float* dx, const float* dy, const uint8_t* mask, size_t n, float p,
                      bool accumulate = true);
#endif

}  // namespace agf
