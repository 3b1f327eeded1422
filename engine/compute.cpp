// The device of a run (see compute.h). The CUDA context is made in compute_cuda.cpp; CPU-only builds use
// the stubs below.
#include "engine/compute.h"

#include <omp.h>

#include <cstdlib>

#include "engine/device.h"

namespace agf {

#ifdef AGF_HAVE_CUDA
Compute open_cuda_compute(bool deterministic);  // compute_cuda.cpp
std::string describe_cuda(const Compute& c);
std::string cuda_unavailable_reason();  // "0 devices: run with --device cpu", or the driver's error with advice
#else
static Compute open_cuda_compute(bool) { return Compute{}; }
static std::string describe_cuda(const Compute&) { return "CUDA"; }
#endif

Device resolve_device(const std::string& requested, const std::string& command) {
  const std::string who = command.empty() ? std::string() : command + ": ";
  const char* env = std::getenv("AGF_DEVICE");
  const std::string device = requested == "auto" && env && *env ? std::string(env) : requested;
  AGF_CHECK(device == "auto" || device == "cpu" || device == "cuda", UsageError, who,
            "--device (or AGF_DEVICE) must be auto, cpu or cuda, got '", device, "'");
  if (device == "cpu") return Device::CPU;
#ifdef AGF_HAVE_CUDA
  if (cuda_devices() > 0) return Device::CUDA;
  AGF_CHECK(device == "auto", DeviceError, who, "--device cuda but no CUDA device is visible (",
            cuda_unavailable_reason(), ")");
#else
  AGF_CHECK(device == "auto", DeviceError, who,
            "--device cuda: this agf was built without CUDA (configure with -DAGF_CUDA=ON)");
#endif
  return Device::CPU;
}

Compute open_compute(const std::string& requested, bool deterministic, const std::string& command) {
  if (resolve_device(requested, command) == Device::CUDA) return open_cuda_compute(deterministic);
  return Compute{};
}

std::string Compute::describe() const {
  if (device == Device::CUDA) return describe_cuda(*this);
  return str("CPU (", omp_get_max_threads(), " threads)");
}

}  // namespace agf
