// The CUDA half of Compute (compute.h): one CudaCtx per run, owned by the Compute.
#include <cuda_runtime.h>

#include "engine/compute.h"
#include "kernels/cuda_ctx.h"

namespace agf {

Compute open_cuda_compute(bool deterministic) {
  CudaCtxOptions opt;
  opt.deterministic = deterministic;  // reproducible runs by default; TF32 stays off (FP32 parity)
  std::shared_ptr<CudaCtx> ctx = std::make_shared<CudaCtx>(opt);
  Compute c;
  c.device = Device::CUDA;
  c.cuda = ctx.get();
  c.holder = ctx;
  return c;
}

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
