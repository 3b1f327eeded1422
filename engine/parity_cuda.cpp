// `--device cuda` for the parity harness (parity.h): one context for all ops, or a DeviceError naming
// why there is none. Only built with the CUDA backend (parity.cpp has the stub).
#include <cuda_runtime.h>

#include "engine/parity.h"
#include "kernels/cuda_ctx.h"

namespace agf {

std::vector<ParityRow> parity_cuda(const std::vector<std::string>& ops, std::string* device) {
  AGF_CHECK(
      cuda_device_count() > 0, DeviceError, "--device cuda: no CUDA device visible (",
      cuda_device_count_error() == cudaSuccess ? std::string("0 devices") : cuda_error_text(cuda_device_count_error()),
      "; agf info lists the devices, CUDA_VISIBLE_DEVICES selects them); nothing was run on the CPU in its place");
  CudaCtxOptions opt;
  opt.deterministic = true;  // as training runs by default; TF32 stays off (the float32 tolerances)
  CudaCtx ctx(opt);
  if (device) {
    cudaDeviceProp p{};
    CUDA_CHECK(cudaGetDeviceProperties(&p, ctx.device));
    *device = str("CUDA device ", ctx.device, ": ", p.name);
  }
  std::vector<ParityRow> rows;
  for (const std::string& op : ops) {
    std::vector<ParityRow> r = parity_op(op, ParitySide{Device::CUDA, DType::F32, &ctx});
    rows.insert(rows.end(), r.begin(), r.end());
  }
  ctx.synchronize();
  return rows;
}

}  // namespace agf
