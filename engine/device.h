// Raw device memory used by Storage and Arena: allocation, memset and copies for CPU and CUDA.
// CPU memsets and copies run through cpu_exec (graph.h), so a CPU capture records them.
// CUDA versions live in engine/device_cuda.cpp. Given a CudaCtx, a CUDA memset or copy goes on its stream, so
// that memsets and copies inside a training step are stream-ordered and graph-capturable; without one it uses
// the default stream, synchronously, and is a CaptureError inside a captured step.
#pragma once
#include <cstddef>
#include "engine/tensor.h"
#include "kernels/cuda_fwd.h"

namespace agf {

void* device_alloc(Device dev, size_t bytes);  // throws DeviceError on failure (with free/total on CUDA)
void device_free(Device dev, void* p) noexcept;
void device_memset_zero(Device dev, void* p, size_t bytes, CudaCtx* cuda = nullptr);
// Device-side copy (CPU->CPU, CUDA->CUDA: capturable) or a host<->device transfer (synchronous; never
// inside a captured step).
void device_copy(Device dst_dev, void* dst, Device src_dev, const void* src, size_t bytes, CudaCtx* cuda = nullptr);
// Transfers between host memory (plain pointers) and device memory of either backend: synchronous, and a
// CaptureError inside a captured step on both (a CPU capture would record the copy and replay it into a
// host buffer that may be gone).
void host_to_device(Device dst_dev, void* dst, const void* src, size_t bytes);
void device_to_host(void* dst, Device src_dev, const void* src, size_t bytes);
bool cuda_compiled();  // built with the CUDA backend
int cuda_devices();    // 0 without a CUDA build, driver or device

}  // namespace agf
