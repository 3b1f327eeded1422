// CUDA side of engine/device.h plus the pinned-memory helpers the optimizer and the tape use.
// Memsets and copies go on the stream of the context they are given, so arena zeroing and copies inside a
// training step are stream-ordered and legal during CUDA-graph capture; without one, on the default stream.
#include <cuda_runtime.h>
#include "engine/device.h"
#include "engine/device_cuda.h"
#include "engine/graph.h"
#include "kernels/cuda_ctx.h"

namespace agf {

void* cuda_device_alloc(size_t bytes) { return cuda_malloc(bytes); }  // device.cpp refuses it during a capture
void cuda_device_free(void* p) noexcept { cuda_free(p); }

void cuda_device_memset_zero(void* p, size_t bytes, CudaCtx* ctx) {
  if (ctx) {
    cuda_memset_async(*ctx, p, 0, bytes);
    return;
  }
  // No context: the legacy default stream, which orders with every context's (blocking) stream.
  CUDA_CHECK(cudaMemset(p, 0, bytes));
}

void cuda_device_copy(Device dst_dev, void* dst, Device src_dev, const void* src, size_t bytes, CudaCtx* ctx) {
  cudaMemcpyKind kind = dst_dev == Device::CUDA
                            ? (src_dev == Device::CUDA ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                            : cudaMemcpyDeviceToHost;
  if (ctx) {
    const bool captured = ctx->capturing();  // a raw CudaGraph capture too, not only a DeviceGraph
    AGF_CHECK(!captured || kind == cudaMemcpyDeviceToDevice, CaptureError,
              "a host<->device copy inside a captured CUDA graph; only device copies may be captured");
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, ctx->stream));
    if (!captured) CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    return;
  }
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
}

int cuda_device_count_safe() { return cuda_device_count(); }

float* cuda_pinned_floats(size_t n) {
  void* p = nullptr;
  CUDA_CHECK(cudaMallocHost(&p, n * sizeof(float)));
  return static_cast<float*>(p);
}
uint64_t* cuda_pinned_u64(size_t n) {
  void* p = nullptr;
  CUDA_CHECK(cudaMallocHost(&p, n * sizeof(uint64_t)));
  return static_cast<uint64_t*>(p);
}
void cuda_free_pinned(void* p) noexcept {
  if (p) cudaFreeHost(p);
}
void cuda_upload_async(CudaCtx& ctx, void* dst_dev, const void* src_pinned, size_t bytes) {
  cuda_memcpy_h2d_async(ctx, dst_dev, src_pinned, bytes);
}
void cuda_fill_one_async(CudaCtx& ctx, float* dst) {
  static float* one = [] {
    float* p = cuda_pinned_floats(1);
    p[0] = 1.0f;
    return p;
  }();
  cuda_memcpy_h2d_async(ctx, dst, one, sizeof(float));
}

}  // namespace agf
