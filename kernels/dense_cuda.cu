// Dense-layer helper kernels for dense_cublas.cpp: the bias broadcast y(n,o) += b(o) and the bias gradient
// db(o) += sum_n dy(n,o) (one thread per output column, summing rows in order: deterministic, coalesced over o).
#include "kernels/cuda_ctx.h"

namespace agf {

__global__ void dense_bias_forward_kernel(float* __restrict__ y, const float* __restrict__ b, size_t n, int O) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    y[i] += b[i % O];
}

__global__ void dense_bias_backward_kernel(float* __restrict__ db, const float* __restrict__ dy, int N, int O) {
  int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= O) return;
  float s = 0.0f;
  for (int n = 0; n < N; ++n) s += dy[size_t(n) * O + o];
  db[o] += s;
}

void dense_bias_forward_cuda(CudaCtx& ctx, float* y, const float* b, int N, int O) {
  size_t n = size_t(N) * O;
  if (n == 0) return;
  dense_bias_forward_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(y, b, n, O);
  AGF_KERNEL_CHECK(ctx.stream);
}

void dense_bias_backward_cuda(CudaCtx& ctx, float* db, const float* dy, int N, int O) {
  if (O == 0) return;
  dense_bias_backward_kernel<<<(O + 127) / 128, 128, 0, ctx.stream>>>(db, dy, N, O);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
