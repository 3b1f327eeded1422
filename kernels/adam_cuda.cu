// Adam over the whole contiguous parameter buffer in ONE launch, and L2 weight decay (g += 2 coeff p).
// The bias corrections [bc1, bc2] are read from DEVICE memory: the host writes them each step (an async copy
// before the step, or a tiny kernel), so a captured CUDA graph replays correctly as the step counter advances.
// lr, b1, b2, eps are by value: constant for a run (a learning-rate schedule would need them on the device too).
#include "kernels/adam.h"
#include "kernels/cuda_ctx.h"

namespace agf {

__global__ void adam_update_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                   float* __restrict__ v, size_t n, float lr, float b1, float b2, float eps,
                                   const float* __restrict__ bc) {
  const float bc1 = bc[0], bc2 = bc[1];
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float mhat = mi / bc1, vhat = vi / bc2;
    p[i] -= lr * mhat / (sqrtf(vhat) + eps);
  }
}

__global__ void l2_grad_kernel(float* __restrict__ g, const float* __restrict__ p, size_t n, float two_coeff) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    g[i] += two_coeff * p[i];
}

void adam_update(CudaCtx& ctx, float* p, const float* g, float* m, float* v, size_t n, float lr, float b1, float b2,
                 float eps, const float* bc) {
  if (n == 0) return;
  adam_update_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(p, g, m, v, n, lr, b1, b2, eps, bc);
  AGF_KERNEL_CHECK(ctx.stream);
}

void l2_grad(CudaCtx& ctx, float* g, const float* p, size_t n, float coeff) {
  if (n == 0) return;
  l2_grad_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(g, p, n, 2.0f * coeff);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
