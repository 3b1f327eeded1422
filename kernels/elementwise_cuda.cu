// The number of NaN/Inf values in a buffer on CUDA, written to a device int (integer atomics: the count is exact
// and order-independent).
#include "kernels/cuda_ctx.h"
#include "kernels/elementwise.h"

namespace agf {

__global__ void count_nonfinite_kernel(int* __restrict__ count, const float* __restrict__ x, size_t n) {
  int local = 0;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    local += isfinite(x[i]) ? 0 : 1;
  for (int o = 16; o > 0; o >>= 1) local += __shfl_xor_sync(0xffffffffu, local, o);
  if ((threadIdx.x & 31) == 0 && local) atomicAdd(count, local);
}

void count_nonfinite(CudaCtx& ctx, int* count, const float* x, size_t n) {
  CUDA_CHECK(cudaMemsetAsync(count, 0, sizeof(int), ctx.stream));
  if (n == 0) return;
  // At most 1024 blocks: each thread strides, so the atomics stay few.
  unsigned grid = grid_for(n);
  if (grid > 1024) grid = 1024;
  count_nonfinite_kernel<<<grid, 256, 0, ctx.stream>>>(count, x, n);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
