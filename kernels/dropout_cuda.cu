// Inverted dropout on CUDA with the CPU's Philox stream (kernels/philox.h): keep i iff
// philox_uniform(seed, offset, i) >= p, so masks are bit-identical to the CPU's dropout_forward.
// One thread per Philox block (4 draws), covering the elements of [offset, offset + n) that fall in it.
#include <cstdint>

#include "kernels/cuda_ctx.h"
#include "kernels/dropout.h"
#include "kernels/philox.h"

namespace agf {

__global__ void dropout_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                                        const uint8_t* __restrict__ mask, size_t n, float p, bool accumulate) {
  const float keep_scale_div = 1.0f - p;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    if (accumulate) {
      if (mask[i]) dx[i] += dy[i] / keep_scale_div;
    } else {
      dx[i] = mask[i] ? dy[i] / keep_scale_div : 0.0f;
    }
  }
}

// Seed and offset read from device memory [seed, offset], so a replayed graph draws a fresh mask once the host
// has advanced the offset. Covers at most n/4 + 2 Philox blocks.
__global__ void dropout_forward_dev_kernel(float* __restrict__ y, uint8_t* __restrict__ mask,
                                           const float* __restrict__ x, size_t n, float p,
                                           const uint64_t* __restrict__ seed_offset, uint64_t max_blocks) {
  const uint64_t seed = seed_offset[0], offset = seed_offset[1];
  const uint64_t first_block = offset >> 2, last_block = (offset + n - 1) >> 2;
  const float keep_scale_div = 1.0f - p;
  for (uint64_t b = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; b < max_blocks;
       b += uint64_t(gridDim.x) * blockDim.x) {
    uint64_t block = first_block + b;
    if (block > last_block) break;
    Philox4 r = philox4x32_10(uint32_t(block), uint32_t(block >> 32), 0u, 0u, uint32_t(seed), uint32_t(seed >> 32));
    for (int lane = 0; lane < 4; ++lane) {
      uint64_t e = block * 4 + lane;
      if (e < offset || e - offset >= n) continue;
      size_t i = size_t(e - offset);
      float u = float(r.v[lane] >> 8) * (1.0f / 16777216.0f);
      bool keep = u >= p;
      mask[i] = keep ? 1 : 0;
      y[i] = keep ? x[i] / keep_scale_div : 0.0f;
    }
  }
}

void dropout_forward(CudaCtx& ctx, float* y, uint8_t* mask, const float* x, size_t n, float p,
                     const uint64_t* seed_offset) {
  if (n == 0) return;
  uint64_t max_blocks = n / 4 + 2;
  dropout_forward_dev_kernel<<<grid_for(max_blocks), 256, 0, ctx.stream>>>(y, mask, x, n, p, seed_offset, max_blocks);
  AGF_KERNEL_CHECK(ctx.stream);
}

void dropout_backward(CudaCtx& ctx, float* dx, const float* dy, const uint8_t* mask, size_t n, float p,
                      bool accumulate) {
  if (n == 0) return;
  dropout_backward_kernel<<<grid_for(n), 256, 0, ctx.stream>>>(dx, dy, mask, n, p, accumulate);
  AGF_KERNEL_CHECK(ctx.stream);
}

}  // namespace agf
