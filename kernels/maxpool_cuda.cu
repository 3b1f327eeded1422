// Max-pool kh x kw, stride (kh, kw), 'valid' on CUDA. Forward saves the argmax (h*W + w in the plane; ties: the
// first maximum in row-major order, as the CPU). Backward dx += scatter(dy, argmax): windows do not overlap, so
// one thread per output writes a distinct dx element (no atomics, deterministic). accumulate = false: dx is zeroed
// first (the elements no window covers, and those not the maximum, must be written too).
#include <cstdint>

#include "kernels/cuda_ctx.h"
#include "kernels/maxpool.h"

namespace agf {

__global__ void maxpool_forward_kernel(float* __restrict__ y, int32_t* __restrict__ argmax, const float* __restrict__ x,
                                       size_t n_out, int H, int W, int Ho, int Wo, int kh, int kw) {
  for (size_t o = blockIdx.x * size_t(blockDim.x) + threadIdx.x; o < n_out; o += size_t(gridDim.x) * blockDim.x) {
    int wo = int(o % Wo);
    int ho = int((o / Wo) % Ho);
    size_t plane = o / (size_t(Wo) * Ho);
    const float* xp = x + plane * size_t(H) * W;
    int h0 = ho * kh, w0 = wo * kw;
    int best = h0 * W + w0;
    float bv = xp[best];
    for (int r = 0; r < kh; ++r)
      for (int s = 0; s < kw; ++s) {
        int idx = (h0 + r) * W + (w0 + s);
        float v = xp[idx];
        if (v > bv) {
          bv = v;
          best = idx;
        }
      }
    y[o] = bv;
    argmax[o] = best;
  }
}

__global__ void maxpool_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                                        const int32_t* __restrict__ argmax, size_t n_out, int HW_in, int HW_out) {
  for (size_t o = blockIdx.x * size_t(blockDim.x) + threadIdx.x; o < n_out; o += size_t(gridDim.x) * blockDim.x) {
    size_t plane = o / HW_out;
    dx[plane * HW_in + argmax[o]] += dy[o];
  }
}

void maxpool_forward(CudaCtx& ctx, float* y, int32_t* argmax, const float* x, int N, int C, int H, int W, int kh,
                     int kw) {
  int Ho = H / kh, Wo = W / kw;
  size_t n_out = size_t(N) * C * Ho * Wo;
  if (n_out == 0) return;
  maxpool_forward_kernel<<<grid_for(n_out), 256, 0, ctx.stream>>>(y, argmax, x, n_out, H, W, Ho, Wo, kh, kw);
  AGF_KERNEL_CHECK(ctx.stream);
}

void maxpool_backward(CudaCtx& ctx, float* dx, const float* dy, const int32_t* argmax, int N, int C, int H, int W,
                      int kh, int kw, bool accumulate) {
  if (!accumulate) CUDA_CHECK(cudaMemsetAsync(dx, 0, size_t(N) * C * H * W * sizeof(float), ctx.stream));
  int Ho = H / kh, Wo = W / kw;
  size_t n_out = size_t(N) * C * Ho * Wo;
  if (n_out == 0) return;
  maxpool_backward_kernel<<<grid_for(n_out), 256, 0, ctx.stream>>>(dx, dy, argmax, n_out, H * W, Ho * Wo);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
