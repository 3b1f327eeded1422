// Device queries and raw device memory: counting devices, cudaMalloc with a helpful out-of-memory message,
// synchronous and stream-ordered copies and memsets, the move-only DeviceBuffer, and 1-D launch geometry.
#pragma once
#ifndef AGF_HAVE_CUDA
#error "kernels/cuda_buffer.h needs the CUDA backend (configure with -DAGF_CUDA=ON)"
#endif

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "kernels/cuda_check.h"

namespace agf {

struct CudaCtx;

// ---- Device queries and memory.
int cuda_device_count();  // 0 without a driver or a device; never throws (logs the reason once)
// The error cudaGetDeviceCount gave (cudaSuccess when it worked), e.g. cudaErrorInsufficientDriver.
cudaError_t cuda_device_count_error();
std::string cuda_device_summary(int dev);  // name, CC, memory, driver/runtime/cuDNN/cuBLAS versions
// Throws DeviceError naming the bytes requested, free/total memory, and suggesting a smaller --batch.
void* cuda_malloc(size_t bytes);
void cuda_free(void* p) noexcept;                                // logs on failure
void cuda_memcpy_h2d(void* dst, const void* src, size_t bytes);  // synchronous
void cuda_memcpy_d2h(void* dst, const void* src, size_t bytes);
void cuda_memcpy_d2d(void* dst, const void* src, size_t bytes);
void cuda_memcpy_h2d_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes);
void cuda_memcpy_d2h_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes);
void cuda_memcpy_d2d_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes);
void cuda_memset_async(CudaCtx& ctx, void* dst, int value, size_t bytes);

// Move-only owning device buffer (tests, benches, small scratch).
template <typename T> class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) : n_(n) { p_ = static_cast<T*>(n ? cuda_malloc(n * sizeof(T)) : nullptr); }
  ~DeviceBuffer() { cuda_free(p_); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) {
    o.p_ = nullptr;
    o.n_ = 0;
  }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      cuda_free(p_);
      p_ = o.p_;
      n_ = o.n_;
      o.p_ = nullptr;
      o.n_ = 0;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

// Launch geometry for 1-D grid-stride kernels: enough blocks to fill the GPU, at most 65535*32.
inline unsigned grid_for(size_t n, unsigned block = 256) {
  size_t g = (n + block - 1) / block;
  if (g < 1) g = 1;
  if (g > 65535u * 32u) g = 65535u * 32u;
  return static_cast<unsigned>(g);
}

}  // namespace agf
