// Element-wise ops the tape and the optimizer need, on CUDA: y += x, y *= a, and a count of NaN/Inf written to a
// device int (integer atomics: the count is exact and order-independent).
#include "kernels/cuda_ctx.h"
#include "kernels/elementwise.h"

namespace agf {

__global__ void add_inplace_kernel(float* __restrict__ y, const float* __restrict__ x, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    y[i] += x[i];
}

__global__ void scale_inplace_kernel(float* __restrict__ y, float a, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    y[i] *= a;
}

__global__ void count_nonfinite_kernel(int* __restrict__ count, const float* __restrict__ x, size_t n) {
  int local = 0;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    local += isfinite(x[i]) ? 0 : 1;
  for (int o = 16; o > 0; o >>= 1) local += __shfl_xor_sync(0xffffffffu, local, o);
  if ((threadIdx.x & 31) == 0 && local) atomicAdd(count, local);
}

void add_inplace_cuda(CudaCtx& ctx, float* y, const float* x, size_t n) {
  if (n == 0) return;
  add_inplace_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(y, x, n);
  AGF_KERNEL_CHECK(ctx.stream);
}

void scale_inplace_cuda(CudaCtx& ctx, float* y, float a, size_t n) {
  if (n == 0) return;
  scale_inplace_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(y, a, n);
  AGF_KERNEL_CHECK(ctx.stream);
}

void count_nonfinite_cuda(CudaCtx& ctx, int* count, const float* x, size_t n) {
  CUDA_CHECK(cudaMemsetAsync(count, 0, sizeof(int), ctx.stream));
  if (n == 0) return;
  // At most 1024 blocks: each thread strides, so the atomics stay few.
  unsigned grid = grid_for(n);
  if (grid > 1024) grid = 1024;
  count_nonfinite_kernel<<<grid, 256, 0, ctx.stream>>>(count, x, n);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
