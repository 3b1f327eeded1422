// K-means kernels: nearest-centroid assignment with squared distances ||x||^2 - 2 x.c + ||c||^2
// computed tile by tile (GEMM per tile, argmin fused; the N x K matrix is never stored), and the
// per-cluster sums for the Lloyd update. The driver is agf/factors/kmeans.h.
#pragma once
#include <cstdint>
#include "kernels/backend.h"

namespace agf {

// out (N) = sum_d x[n, d]^2.   x (N, D)
template <typename T> void row_sqnorm(Cpu, T* out, const T* x, int64_t N, int D);

// labels (N), min_d2 (N, may be nullptr): index and squared distance of the nearest centroid;
// ties go to the lowest index; distances clamped at 0 (cancellation in the expansion).
// x (N, D), x_sq (N), c (K, D), c_sq (K). Multi-threaded over row tiles (OpenMP); each thread
// holds one (TN x TK) tile of dot products. Returns nothing; the tile scratch is thread-local.
template <typename T> void kmeans_assign(Cpu, int32_t* labels, T* min_d2, const T* x, const T* x_sq, const T* c,
                                         const T* c_sq, int64_t N, int D, int K);

// sums (K, D) += sum of x rows per label; counts (K) += rows per label. Sums in double whatever T
// (float data with millions of frames). Multi-threaded with per-thread partial sums.
template <typename T>
void kmeans_accumulate(Cpu, double* sums, int64_t* counts, const T* x, const int32_t* labels, int64_t N, int D, int K);

#ifdef AGF_HAVE_CUDA
// FP32 on the device, all pointers device memory, asynchronous on `s`.
void row_sqnorm_cuda(cudaStream_t s, float* out, const float* x, int64_t N, int D);
// Tiled distances in shared memory (64 points x 64 centroids per block step), argmin fused into
// the tile; one pass over all centroids per block of points.
void kmeans_assign_cuda(cudaStream_t s, int32_t* labels, float* min_d2, const float* x, const float* x_sq,
                        const float* c, const float* c_sq, int64_t N, int D, int K);
// sums (K, D) and counts (K) must be zeroed by the caller; accumulated with atomics.
void kmeans_accumulate_cuda(cudaStream_t s, float* sums, int32_t* counts, const float* x, const int32_t* labels,
                            int64_t N, int D, int K);
#endif

}  // namespace agf
