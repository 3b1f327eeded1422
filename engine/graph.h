// Captured device work, for both backends: begin() starts recording the device work this thread
// issues, end() stops and makes it replayable, launch() runs it again with the same pointers.
//   CUDA: the driver's stream capture (thread-local mode) and an instantiated cudaGraphExec_t.
//   CPU:  every CPU kernel, memset and tensor copy goes through cpu_exec(), which, while a capture is
//         open, appends the call (with its fixed pointers) to a list instead of running it; launch()
//         runs the list in order.
// The rules that make a captured step valid are host logic, enforced here the same way on both:
//   - no device allocation and no free while capturing (CaptureError at the allocation; a free is
//     deferred to end(), which then throws);
//   - no host<->device transfer while capturing (a host read would be baked in or read garbage);
//   - an arena that a graph refers to is pinned (Arena::Lease): it never frees or moves a chunk while
//     the graph exists, and launch() checks that (Arena::generation) before running.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>
#include "engine/tensor.h"
#include "kernels/cuda_fwd.h"

namespace agf {

// A rule of captured steps was broken (allocation, free, host transfer or arena coalescing inside a
// capture; a replay over memory that has since been freed).
struct CaptureError : DeviceError {
  using DeviceError::DeviceError;
};

namespace detail {
struct CaptureState {
  Device device = Device::CPU;
  std::vector<std::function<void()>>* cpu_ops = nullptr;  // CPU captures record here
  std::vector<std::pair<Device, void*>> deferred_frees;   // frees asked for during the capture
};
CaptureState*& capture_state();  // this thread's open capture, or null
}  // namespace detail

// Is this thread capturing device work (either backend)?
inline bool capturing() { return detail::capture_state() != nullptr; }
// Throws CaptureError("<what> inside a captured step: ...") when capturing.
void check_not_capturing(const char* what);

// Runs CPU device work now, or records it when a CPU capture is open on this thread. Everything the
// CPU backend does to tensor memory inside a step goes through here (engine/ops_*.cpp, memsets,
// tensor copies, Adam), so the recorded list is the whole step.
template <typename F> void cpu_exec(F&& f) {
  detail::CaptureState* s = detail::capture_state();
  if (s && s->cpu_ops) {
    s->cpu_ops->emplace_back(std::forward<F>(f));
    return;
  }
  f();
}

class DeviceGraph {
 public:
  DeviceGraph(Device dev, CudaCtx* cuda);  // cuda: required for Device::CUDA
  ~DeviceGraph();
  DeviceGraph(const DeviceGraph&) = delete;
  DeviceGraph& operator=(const DeviceGraph&) = delete;

  void begin();           // opens this thread's capture (one at a time per thread)
  void end();             // closes it and instantiates; CaptureError if a rule was broken meanwhile
  void abort() noexcept;  // closes a failed capture and discards it
  void launch();          // runs the recorded work (CUDA: asynchronously on the context's stream)
  bool ready() const { return ready_; }
  size_t num_nodes() const;
  Device device() const { return dev_; }
  struct Cuda;  // the CUDA graph and its executable (engine/graph_cuda.cpp)
  struct CudaDeleter {
    void operator()(Cuda* g) const noexcept;
  };

 private:
  Device dev_;
  CudaCtx* cuda_;
  bool ready_ = false, open_ = false;
  detail::CaptureState state_;
  std::vector<std::function<void()>> ops_;  // CPU
  std::unique_ptr<Cuda, CudaDeleter> cu_;   // CUDA (engine/graph_cuda.cpp)
};

}  // namespace agf
