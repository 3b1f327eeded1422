// CPU side of engine/device.h; CUDA calls are forwarded to engine/device_cuda.cpp when compiled in.
#include "engine/device.h"
#include "engine/graph.h"
#include <cstdlib>
#include <cstring>

namespace agf {

#ifdef AGF_HAVE_CUDA
void* cuda_device_alloc(size_t bytes);
void cuda_device_free(void* p) noexcept;
void cuda_device_memset_zero(void* p, size_t bytes, CudaCtx* cuda);
void cuda_device_copy(Device dst_dev, void* dst, Device src_dev, const void* src, size_t bytes, CudaCtx* cuda);
int cuda_device_count_safe();

// CUDA work inside a captured step must go on the captured stream: the default stream would break the capture.
static void check_cuda_context(CudaCtx* cuda, const char* what) {
  AGF_CHECK(cuda != nullptr || !capturing(), CaptureError, what,
            " without its CUDA context inside a captured step: pass the tape's CudaCtx");
}
#endif

static void no_cuda(const char* what) {
  throw DeviceError(str(what,
                        ": this agf was built without the CUDA backend (configure with -DAGF_CUDA=ON where "
                        "nvcc and cuDNN exist)"));
}

void* device_alloc(Device dev, size_t bytes) {
  AGF_CHECK(!capturing(), CaptureError, "device allocation of ", bytes, " bytes on ", device_name(dev),
            " inside a captured step: warm the step up eagerly first so that the arena has its size");
  if (dev == Device::CPU) {
    size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded ? rounded : 64);
    AGF_CHECK(p, DeviceError, "out of host memory allocating ", bytes, " bytes");
    return p;
  }
#ifdef AGF_HAVE_CUDA
  return cuda_device_alloc(bytes);
#else
  no_cuda("device_alloc");
  return nullptr;
#endif
}

void device_free(Device dev, void* p) noexcept {
  if (!p) return;
  if (detail::CaptureState* s = detail::capture_state()) {  // freed after the capture, which then fails
    s->deferred_frees.emplace_back(dev, p);
    return;
  }
  if (dev == Device::CPU) {
    std::free(p);
    return;
  }
#ifdef AGF_HAVE_CUDA
  cuda_device_free(p);
#endif
}

void device_memset_zero(Device dev, void* p, size_t bytes, CudaCtx* cuda) {
  if (dev == Device::CPU) {
    cpu_exec([p, bytes] { std::memset(p, 0, bytes); });
    return;
  }
#ifdef AGF_HAVE_CUDA
  check_cuda_context(cuda, "a CUDA memset");
  cuda_device_memset_zero(p, bytes, cuda);
#else
  no_cuda("device_memset_zero");
#endif
}

void device_copy(Device dst_dev, void* dst, Device src_dev, const void* src, size_t bytes, CudaCtx* cuda) {
  if (dst_dev == Device::CPU && src_dev == Device::CPU) {
    cpu_exec([dst, src, bytes] { std::memcpy(dst, src, bytes); });
    return;
  }
  if (dst_dev != src_dev) check_not_capturing("a host<->device copy");
#ifdef AGF_HAVE_CUDA
  check_cuda_context(cuda, "a CUDA copy");
  cuda_device_copy(dst_dev, dst, src_dev, src, bytes, cuda);
#else
  no_cuda("device_copy");
#endif
}

void host_to_device(Device dst_dev, void* dst, const void* src, size_t bytes) {
  check_not_capturing("a host-to-device transfer");
  device_copy(dst_dev, dst, Device::CPU, src, bytes);
}

void device_to_host(void* dst, Device src_dev, const void* src, size_t bytes) {
  check_not_capturing("a device-to-host read");
  device_copy(Device::CPU, dst, src_dev, src, bytes);
}

bool cuda_compiled() {
#ifdef AGF_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_devices() {
#ifdef AGF_HAVE_CUDA
  return cuda_device_count_safe();
#else
  return 0;
#endif
}

}  // namespace agf
