// Softmax + cross-entropy against soft targets on CUDA. Forward: one block, a warp per row (rows strided over the
// block's warps), per-warp loss sums combined in a fixed order: one launch, a deterministic device scalar
// loss = -(1/N) sum_n sum_k t log p. Backward: dz += dloss * (p * sum_j t - t) / N, dloss read from device.
#include <cfloat>

#include "kernels/cuda_ctx.h"
#include "kernels/softmax_xent.h"

namespace agf {

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Writes probs for row n; returns -sum_k t log p (all lanes). targets may be nullptr (softmax only).
__device__ float softmax_row(float* probs, const float* logits, const float* targets, int n, int K, int lane) {
  const float* z = logits + size_t(n) * K;
  float* pr = probs + size_t(n) * K;
  float m = -FLT_MAX;
  for (int k = lane; k < K; k += 32) m = fmaxf(m, z[k]);
  m = warp_max(m);
  float s = 0.0f;
  for (int k = lane; k < K; k += 32) s += expf(z[k] - m);
  s = warp_sum(s);
  const float log_s = logf(s);
  float loss = 0.0f;
  for (int k = lane; k < K; k += 32) {
    float lp = z[k] - m - log_s;  // log p, finite even where p underflows
    pr[k] = expf(lp);
    if (targets) loss -= targets[size_t(n) * K + k] * lp;
  }
  return warp_sum(loss);
}

constexpr int kXentBlock = 256;

__global__ void softmax_xent_forward_kernel(float* probs, float* loss, const float* logits, const float* targets, int N,
                                            int K) {
  __shared__ float warp_loss[kXentBlock / 32];
  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nwarps = blockDim.x >> 5;
  float acc = 0.0f;
  for (int n = warp; n < N; n += nwarps) acc += softmax_row(probs, logits, targets, n, K, lane);
  if (lane == 0) warp_loss[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.0f;
    for (int w = 0; w < nwarps; ++w) total += warp_loss[w];
    *loss = total / float(N);
  }
}

__global__ void softmax_forward_kernel(float* probs, const float* logits, int N, int K) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
  if (warp >= N) return;
  softmax_row(probs, logits, nullptr, warp, K, lane);
}

__global__ void softmax_xent_backward_kernel(float* dlogits, const float* probs, const float* targets, int N, int K,
                                             const float* dloss) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
  if (warp >= N) return;
  const float* t = targets + size_t(warp) * K;
  const float* p = probs + size_t(warp) * K;
  float* dz = dlogits + size_t(warp) * K;
  float tsum = 0.0f;
  for (int k = lane; k < K; k += 32) tsum += t[k];
  tsum = warp_sum(tsum);
  const float scale = *dloss / float(N);
  for (int k = lane; k < K; k += 32) dz[k] += scale * (p[k] * tsum - t[k]);
}

void softmax_xent_forward(CudaCtx& ctx, float* probs, float* loss, const float* logits, const float* targets, int N,
                          int K) {
  AGF_CHECK(N > 0 && K > 0, ShapeError, "softmax_xent_forward_cuda: empty logits (", N, ",", K, ")");
  softmax_xent_forward_kernel<<<1, kXentBlock, 0, ctx.stream>>>(probs, loss, logits, targets, N, K);
  AGF_KERNEL_CHECK(ctx.stream);
}

void softmax_xent_backward(CudaCtx& ctx, float* dlogits, const float* probs, const float* targets, int N, int K,
                           const float* dloss) {
  if (N == 0) return;
  const int warps = 8;
  softmax_xent_backward_kernel<<<(N + warps - 1) / warps, warps * 32, 0, ctx.stream>>>(dlogits, probs, targets, N, K,
                                                                                       dloss);
  AGF_KERNEL_CHECK(ctx.stream);
}

void softmax_forward(CudaCtx& ctx, float* probs, const float* logits, int N, int K) {
  if (N == 0) return;
  const int warps = 8;
  softmax_forward_kernel<<<(N + warps - 1) / warps, warps * 32, 0, ctx.stream>>>(probs, logits, N, K);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
