// K-means on CUDA, FP32: nearest centroid by d2 = ||x||^2 - 2 x.c + ||c||^2 with the dot products
// computed GEMM-style (64 points x 64 centroids per block step, D staged through shared memory in
// chunks of 16, a 4 x 4 register micro-tile per thread) and the argmin fused: no N x K matrix exists.
#include <cfloat>
#include "kernels/cuda_ctx.h"
#include "kernels/kmeans.h"

namespace agf {

namespace {
constexpr int TN = 64, TK = 64, TD = 16, MICRO = 4;  // block: (TK / MICRO) x (TN / MICRO) = 16 x 16 threads

__global__ void row_sqnorm_kernel(float* __restrict__ out, const float* __restrict__ x, int64_t N, int D) {
  const int64_t n = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (n >= N) return;
  float s = 0.f;
  for (int d = 0; d < D; ++d) s = fmaf(x[n * D + d], x[n * D + d], s);
  out[n] = s;
}

__global__ void __launch_bounds__(256)
    kmeans_assign_kernel(int32_t* __restrict__ labels, float* __restrict__ min_d2, const float* __restrict__ x,
                         const float* __restrict__ x_sq, const float* __restrict__ c, const float* __restrict__ c_sq,
                         int64_t N, int D, int K) {
  __shared__ float xs[TD][TN + 1];  // (d, point): +1 avoids bank conflicts on the transposed store
  __shared__ float cs[TD][TK + 1];  // (d, centroid)
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * blockDim.x + tx;
  const int64_t n0 = int64_t(blockIdx.x) * TN;
  float best[MICRO];
  int arg[MICRO];
  for (int i = 0; i < MICRO; ++i) {
    best[i] = FLT_MAX;
    arg[i] = 0;
  }

  for (int k0 = 0; k0 < K; k0 += TK) {
    float acc[MICRO][MICRO] = {};
    for (int d0 = 0; d0 < D; d0 += TD) {
      // stage a (TN x TD) slab of points and a (TK x TD) slab of centroids; 256 threads x 4 loads each
      for (int e = tid; e < TN * TD; e += 256) {
        const int p = e / TD, d = e % TD;
        const int64_t n = n0 + p;
        xs[d][p] = (n < N && d0 + d < D) ? x[n * D + d0 + d] : 0.f;
        const int k = k0 + p;
        cs[d][p] = (k < K && d0 + d < D) ? c[int64_t(k) * D + d0 + d] : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int d = 0; d < TD; ++d) {
        float a[MICRO], b[MICRO];
#pragma unroll
        for (int i = 0; i < MICRO; ++i) {
          a[i] = xs[d][ty * MICRO + i];
          b[i] = cs[d][tx * MICRO + i];
        }
#pragma unroll
        for (int i = 0; i < MICRO; ++i)
#pragma unroll
          for (int j = 0; j < MICRO; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
      __syncthreads();
    }
    // fused argmin over this thread's 4 centroids (ascending index, so strict < keeps the lowest on ties)
#pragma unroll
    for (int j = 0; j < MICRO; ++j) {
      const int k = k0 + tx * MICRO + j;
      if (k >= K) break;
      const float ck = c_sq[k];
#pragma unroll
      for (int i = 0; i < MICRO; ++i) {
        const float dist = fmaf(-2.f, acc[i][j], ck);
        if (dist < best[i]) {
          best[i] = dist;
          arg[i] = k;
        }
      }
    }
  }
  // reduce over the 16 threads (tx) sharing a row of points: they are 16 consecutive lanes of one warp
#pragma unroll
  for (int i = 0; i < MICRO; ++i) {
    float b = best[i];
    int a = arg[i];
    for (int off = 8; off > 0; off >>= 1) {
      const float ob = __shfl_xor_sync(0xffffffffu, b, off, 16);
      const int oa = __shfl_xor_sync(0xffffffffu, a, off, 16);
      if (ob < b || (ob == b && oa < a)) {
        b = ob;
        a = oa;
      }
    }
    const int64_t n = n0 + ty * MICRO + i;
    if (tx == 0 && n < N) {
      labels[n] = a;
      if (min_d2) min_d2[n] = fmaxf(0.f, b + x_sq[n]);
    }
  }
}

__global__ void kmeans_accumulate_kernel(float* __restrict__ sums, int32_t* __restrict__ counts,
                                         const float* __restrict__ x, const int32_t* __restrict__ labels, int64_t N,
                                         int D) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= N * D) return;
  const int64_t n = i / D;
  const int d = static_cast<int>(i % D);
  const int k = labels[n];
  atomicAdd(&sums[int64_t(k) * D + d], x[i]);
  if (d == 0) atomicAdd(&counts[k], 1);
}
}  // namespace

void row_sqnorm_cuda(cudaStream_t s, float* out, const float* x, int64_t N, int D) {
  if (N == 0) return;
  row_sqnorm_kernel<<<static_cast<unsigned>((N + 255) / 256), 256, 0, s>>>(out, x, N, D);
  AGF_KERNEL_CHECK(s);
}

void kmeans_assign_cuda(cudaStream_t s, int32_t* labels, float* min_d2, const float* x, const float* x_sq,
                        const float* c, const float* c_sq, int64_t N, int D, int K) {
  if (N == 0) return;
  const dim3 block(TK / MICRO, TN / MICRO);
  kmeans_assign_kernel<<<static_cast<unsigned>((N + TN - 1) / TN), block, 0, s>>>(labels, min_d2, x, x_sq, c, c_sq, N,
                                                                                  D, K);
  AGF_KERNEL_CHECK(s);
}

void kmeans_accumulate_cuda(cudaStream_t s, float* sums, int32_t* counts, const float* x, const int32_t* labels,
                            int64_t N, int D, int K) {
  if (N == 0) return;
  const int64_t total = N * D;
  kmeans_accumulate_kernel<<<static_cast<unsigned>((total + 255) / 256), 256, 0, s>>>(sums, counts, x, labels, N, D);
  AGF_KERNEL_CHECK(s);
}

}  // namespace agf
