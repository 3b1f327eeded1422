// Raw device memory used by Storage and Arena: allocation, memset and copies for CPU and CUDA.
// CUDA versions live in engine/device_cuda.cpp and use the current stream of the active CudaCtx,
// so memsets and copies inside a training step are stream-ordered and graph-capturable.
#pragma once
#include <cstddef>
#include "engine/tensor.h"

namespace agf {

void* device_alloc(Device dev, size_t bytes);      // throws DeviceError on failure (with free/total on CUDA)
void device_free(Device dev, void* p) noexcept;
void device_memset_zero(Device dev, void* p, size_t bytes);
void device_copy(Device dst_dev, void* dst, Device src_dev, const void* src, size_t bytes);  // synchronous
bool cuda_compiled();                               // built with the CUDA backend
int cuda_devices();                                 // 0 without a CUDA build, driver or device

}  // namespace agf
