// The CUDA half of Compute (compute.h): one CudaCtx per run, owned by the Compute.
#include <cuda_runtime.h>

#include "engine/compute.h"
#include "engine/device_cuda.h"
#include "kernels/cuda_ctx.h"

namespace agf {

Compute open_cuda_compute(bool deterministic) {
  CudaCtxOptions opt;
  opt.deterministic = deterministic;  // reproducible runs by default; TF32 stays off (FP32 parity)
  // The deleter also forgets the context if it is still current on this thread, so a later CUDA call
  // does not find a dangling current context (a Compute made only to probe, as the demo does).
  std::shared_ptr<CudaCtx> ctx(new CudaCtx(opt), [](CudaCtx* p) {
    if (current_cuda_ctx() == p) set_current_cuda_ctx(nullptr);
    delete p;
  });
  Compute c;
  c.device = Device::CUDA;
  c.cuda = ctx.get();
  c.holder = ctx;
  set_current_cuda_ctx(c.cuda);
  return c;
}

void make_current_cuda(const Compute& c) { set_current_cuda_ctx(c.cuda); }

std::string cuda_unavailable_reason() {
  const cudaError_t e = cuda_device_count_error();
  return e == cudaSuccess ? std::string("0 devices: run with --device cpu") : cuda_error_text(e);
}

std::string describe_cuda(const Compute& c) {
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, c.cuda->device));
  return str("CUDA device ", c.cuda->device, ": ", p.name);
}

}  // namespace agf
