// Global average pooling on CUDA: y(n,c) = mean_hw x(n,c,hw); backward dx(n,c,hw) += dy(n,c) / HW (accumulates).
// Forward: one warp per (n,c) row, lane-strided sums then a fixed shuffle tree (deterministic).
#include "kernels/cuda_ctx.h"
#include "kernels/gap.h"

namespace agf {

__global__ void gap_forward_kernel(float* __restrict__ y, const float* __restrict__ x, int rows, int HW) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
  if (warp >= rows) return;  // whole warps exit together
  const float* xr = x + size_t(warp) * HW;
  float s = 0.0f;
  for (int i = lane; i < HW; i += 32) s += xr[i];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) y[warp] = s / float(HW);
}

__global__ void gap_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, size_t n, int HW) {
  const float inv = 1.0f / float(HW);
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    dx[i] += dy[i / HW] * inv;
}

void gap_forward(CudaCtx& ctx, float* y, const float* x, int N, int C, int HW) {
  int rows = N * C;
  if (rows == 0) return;
  const int block = 256, warps_per_block = block / 32;
  gap_forward_kernel<<<(rows + warps_per_block - 1) / warps_per_block, block, 0, ctx.stream>>>(y, x, rows, HW);
  AGF_KERNEL_CHECK(ctx.stream);
}

void gap_backward(CudaCtx& ctx, float* dx, const float* dy, int N, int C, int HW) {
  size_t n = size_t(N) * C * HW;
  if (n == 0) return;
  gap_backward_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(dx, dy, n, HW);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
