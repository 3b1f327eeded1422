// ELU backward from the saved output: dx += dy * (y > 0 ? 1 : y + alpha) (accumulate = false: dx = ...).
// Forward is cuDNN's activation (elu_cudnn.cpp); cuDNN's own backward would need x, which we do not keep.
#include "kernels/cuda_ctx.h"
#include "kernels/elu.h"

namespace agf {

__global__ void elu_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, const float* __restrict__ y,
                                    size_t n, float alpha, bool accumulate) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    float yi = y[i];
    float g = dy[i] * (yi > 0.0f ? 1.0f : yi + alpha);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

void elu_backward(CudaCtx& ctx, float* dx, const float* dy, const float* y, size_t n, float alpha, bool accumulate) {
  if (n == 0) return;
  elu_backward_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(dx, dy, y, n, alpha, accumulate);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
