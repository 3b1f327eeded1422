// ELU backward from the saved output (dx += dy * (y > 0 ? 1 : y + alpha)), ACCUMULATING into dx.
// Forward is cuDNN's activation (elu_cudnn.cpp); cuDNN's own backward would need x, which we do not keep.
#include "kernels/cuda_ctx.h"
#include "kernels/elu.h"

namespace agf {

__global__ void elu_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, const float* __restrict__ y,
                                    size_t n, float alpha) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    float yi = y[i];
    dx[i] += dy[i] * (yi > 0.0f ? 1.0f : yi + alpha);
  }
}

void elu_backward_cuda(CudaCtx& ctx, float* dx, const float* dy, const float* y, size_t n, float alpha) {
  if (n == 0) return;
  elu_backward_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(dx, dy, y, n, alpha);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf

namespace agf {

// Fused batch-norm (inference statistics) + ELU: one thread per element, channel c = (i / HW) % C.
__global__ void batchnorm_elu_infer_kernel(float* __restrict__ y, const float* __restrict__ x,
                                           const float* __restrict__ gamma, const float* __restrict__ beta,
                                           const float* __restrict__ mean, const float* __restrict__ var, size_t n,
                                           int C, int HW, float eps, float alpha) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    int c = int((i / HW) % C);
    float v = gamma[c] * (x[i] - mean[c]) / sqrtf(var[c] + eps) + beta[c];
    y[i] = v > 0.0f ? v : alpha * expm1f(v);
  }
}

void batchnorm_elu_forward_infer_cuda(CudaCtx& ctx, float* y, const float* x, const float* gamma, const float* beta,
                                      const float* running_mean, const float* running_var, int N, int C, int HW,
                                      double eps, float alpha) {
  size_t n = size_t(N) * C * HW;
  if (n == 0) return;
  batchnorm_elu_infer_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(y, x, gamma, beta, running_mean, running_var, n, C,
                                                                   HW, float(eps), alpha);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
