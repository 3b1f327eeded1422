// CUDA side of engine/device.h plus the pinned-memory helpers the optimizer and the tape use.
// Memsets and copies go on the current context's stream (set_current_cuda_ctx), so arena zeroing
// and uploads inside a training step are stream-ordered and legal during CUDA-graph capture.
#include <cuda_runtime.h>
#include "engine/device.h"
#include "engine/device_cuda.h"
#include "engine/graph.h"
#include "kernels/cuda_ctx.h"

namespace agf {

static thread_local CudaCtx* g_current = nullptr;
void set_current_cuda_ctx(CudaCtx* ctx) { g_current = ctx; }
CudaCtx* current_cuda_ctx() { return g_current; }

void* cuda_device_alloc(size_t bytes) {
  AGF_CHECK(!(g_current && g_current->capturing()), CaptureError,
            "device allocation of ", bytes, " bytes during CUDA-graph capture: warm the step up eagerly first");
  return cuda_malloc(bytes);
}
void cuda_device_free(void* p) noexcept { cuda_free(p); }

void cuda_device_memset_zero(void* p, size_t bytes) {
  if (g_current) {
    cuda_memset_async(*g_current, p, 0, bytes);
    return;
  }
  // No current context: the legacy default stream, which orders with every context's (blocking) stream.
  CUDA_CHECK(cudaMemset(p, 0, bytes));
}

void cuda_device_copy(Device dst_dev, void* dst, Device src_dev, const void* src, size_t bytes) {
  cudaMemcpyKind kind = dst_dev == Device::CUDA ? (src_dev == Device::CUDA ? cudaMemcpyDeviceToDevice
                                                                            : cudaMemcpyHostToDevice)
                                                : cudaMemcpyDeviceToHost;
  if (g_current) {
    AGF_CHECK(!g_current->capturing() || kind == cudaMemcpyDeviceToDevice, CaptureError,
              "a host<->device copy inside a captured CUDA graph; only device copies may be captured");
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, g_current->stream));
    if (!g_current->capturing()) CUDA_CHECK(cudaStreamSynchronize(g_current->stream));
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
