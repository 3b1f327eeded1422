// The compute device of a run: the CPU, or one CUDA device with its context (stream, cuDNN and cuBLAS
// handles, kernels/cuda_ctx.h). This is the one place where a --device string becomes a device: code above
// the engine takes a `const Compute&` (or resolve_device's answer) and never asks the CUDA driver itself.
#pragma once
#include <memory>
#include <string>

#include "engine/tensor.h"
#include "kernels/cuda_fwd.h"

namespace agf {

// The CUDA context lives as long as the Compute (and its copies); `cuda` is null on the CPU.
struct Compute {
  Device device = Device::CPU;
  CudaCtx* cuda = nullptr;
  std::shared_ptr<void> holder;  // owns the CudaCtx
  std::string describe() const;  // "CPU (2 threads)" / "CUDA device 0: NVIDIA H200"
};

// The device --device asks for: "cpu", "cuda", or "auto" (which defers to AGF_DEVICE when that is set, then
// means CUDA when this build has it and a device is visible, else the CPU). Errors name `command` ("prepare",
// "factors", ...; empty: none): UsageError for any other string, DeviceError for "cuda" without a CUDA build
// or without a visible device, saying which.
Device resolve_device(const std::string& requested, const std::string& command = "");

// resolve_device, then on CUDA a context on device 0 (deterministic: only reproducible cuDNN algorithms;
// TF32 stays off either way).
Compute open_compute(const std::string& requested, bool deterministic = true, const std::string& command = "");

}  // namespace agf
