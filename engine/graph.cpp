// Captured device work for both backends (see graph.h). The CUDA half is engine/graph_cuda.cpp.
#include "engine/graph.h"
#include "engine/device.h"

namespace agf {

namespace detail {
CaptureState*& capture_state() {
  static thread_local CaptureState* s = nullptr;
  return s;
}
}  // namespace detail

void check_not_capturing(const char* what) {
  AGF_CHECK(!capturing(), CaptureError, what,
            " inside a captured step: a captured step may not allocate, free, synchronise or move data between "
            "host and device (warm the step up eagerly first, and read results after launch())");
}

#ifdef AGF_HAVE_CUDA
struct DeviceGraph::Cuda;
DeviceGraph::Cuda* cuda_graph_new();
void cuda_graph_begin(DeviceGraph::Cuda& g, CudaCtx& ctx);
void cuda_graph_end(DeviceGraph::Cuda& g, CudaCtx& ctx);
void cuda_graph_abort(DeviceGraph::Cuda& g, CudaCtx& ctx) noexcept;
void cuda_graph_launch(DeviceGraph::Cuda& g, CudaCtx& ctx);
size_t cuda_graph_nodes(const DeviceGraph::Cuda& g);
void cuda_graph_delete(DeviceGraph::Cuda* g) noexcept;
#endif

DeviceGraph::DeviceGraph(Device dev, CudaCtx* cuda) : dev_(dev), cuda_(cuda) {
  if (dev == Device::CUDA) {
#ifdef AGF_HAVE_CUDA
    AGF_CHECK(cuda != nullptr, DeviceError, "DeviceGraph: a CUDA graph needs a CUDA context");
    cu_.reset(cuda_graph_new());
#else
    throw DeviceError("DeviceGraph: this agf was built without the CUDA backend");
#endif
  }
}

DeviceGraph::~DeviceGraph() {
  if (open_) abort();
}

void DeviceGraph::CudaDeleter::operator()(Cuda* g) const noexcept {
#ifdef AGF_HAVE_CUDA
  cuda_graph_delete(g);
#else
  (void)g;
#endif
}

void DeviceGraph::begin() {
  AGF_CHECK(!capturing(), CaptureError, "DeviceGraph::begin: this thread is already capturing a step");
  AGF_CHECK(!open_ && !ready_, CaptureError, "DeviceGraph::begin: this graph was captured already");
  state_ = detail::CaptureState{};
  state_.device = dev_;
  if (dev_ == Device::CPU) {
    ops_.clear();
    state_.cpu_ops = &ops_;
  }
#ifdef AGF_HAVE_CUDA
  else {
    cuda_graph_begin(*cu_, *cuda_);
  }
#endif
  detail::capture_state() = &state_;
  open_ = true;
}

// Frees that were asked for during the capture happen now, outside it; having asked is the error.
static void release_deferred(detail::CaptureState& s) noexcept {
  for (auto& [dev, p] : s.deferred_frees) device_free(dev, p);
}

void DeviceGraph::end() {
  AGF_CHECK(open_, CaptureError, "DeviceGraph::end without begin");
  detail::capture_state() = nullptr;
  open_ = false;
  const size_t frees = state_.deferred_frees.size();
  release_deferred(state_);
  state_.deferred_frees.clear();
  if (frees) {
#ifdef AGF_HAVE_CUDA
    if (dev_ == Device::CUDA) cuda_graph_abort(*cu_, *cuda_);
#endif
    ops_.clear();
    throw CaptureError(str("DeviceGraph: ", frees,
                           " device buffer(s) freed inside a captured step: memory the step "
                           "uses must outlive its graph (an arena that coalesced, or a temporary tensor)"));
  }
#ifdef AGF_HAVE_CUDA
  if (dev_ == Device::CUDA) cuda_graph_end(*cu_, *cuda_);
#endif
  ready_ = true;
}

void DeviceGraph::abort() noexcept {
  if (!open_) return;
  detail::capture_state() = nullptr;
  open_ = false;
  release_deferred(state_);
  state_.deferred_frees.clear();
#ifdef AGF_HAVE_CUDA
  if (dev_ == Device::CUDA) cuda_graph_abort(*cu_, *cuda_);
#endif
  ops_.clear();
}

void DeviceGraph::launch() {
  AGF_CHECK(ready_, CaptureError, "DeviceGraph::launch: nothing captured");
  check_not_capturing("DeviceGraph::launch");
  if (dev_ == Device::CPU) {
    for (auto& op : ops_) op();
    return;
  }
#ifdef AGF_HAVE_CUDA
  cuda_graph_launch(*cu_, *cuda_);
#endif
}

size_t DeviceGraph::num_nodes() const {
#ifdef AGF_HAVE_CUDA
  if (dev_ == Device::CUDA) return cuda_graph_nodes(*cu_);
#endif
  return ops_.size();
}

}  // namespace agf
