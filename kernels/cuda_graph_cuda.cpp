// CudaGraph (cuda_graph.h): capture of a context's stream, instantiation, replay and teardown.
#include "kernels/cuda_graph.h"

#include "kernels/cuda_ctx.h"

namespace agf {

CudaGraph::~CudaGraph() { reset(); }
CudaGraph::CudaGraph(CudaGraph&& o) noexcept : graph_(o.graph_), exec_(o.exec_), nodes_(o.nodes_) {
  o.graph_ = nullptr;
  o.exec_ = nullptr;
  o.nodes_ = 0;
}
CudaGraph& CudaGraph::operator=(CudaGraph&& o) noexcept {
  if (this != &o) {
    reset();
    graph_ = o.graph_;
    exec_ = o.exec_;
    nodes_ = o.nodes_;
    o.graph_ = nullptr;
    o.exec_ = nullptr;
    o.nodes_ = 0;
  }
  return *this;
}
void CudaGraph::reset() noexcept {
  if (exec_) {
    cudaError_t e = cudaGraphExecDestroy(exec_);
    if (e != cudaSuccess) log_destroy_failure("cudaGraphExecDestroy", int(e));
  }
  if (graph_) {
    cudaError_t e = cudaGraphDestroy(graph_);
    if (e != cudaSuccess) log_destroy_failure("cudaGraphDestroy", int(e));
  }
  exec_ = nullptr;
  graph_ = nullptr;
  nodes_ = 0;
}
void CudaGraph::begin(CudaCtx& ctx) {
  reset();
  CUDA_CHECK(cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeThreadLocal));
}
void CudaGraph::end(CudaCtx& ctx) {
  cudaError_t e = cudaStreamEndCapture(ctx.stream, &graph_);
  if (e != cudaSuccess) {
    graph_ = nullptr;
    throw DeviceError(str("CUDA graph capture failed: ", cuda_error_text(e),
                          " (an allocation, a synchronisation or a host read inside the captured step?)"));
  }
  CUDA_CHECK(cudaGraphGetNodes(graph_, nullptr, &nodes_));
  CUDA_CHECK(cudaGraphInstantiate(&exec_, graph_, 0));
}
void CudaGraph::abort(CudaCtx& ctx) noexcept {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(ctx.stream, &st) == cudaSuccess && st != cudaStreamCaptureStatusNone) {
    cudaGraph_t graph = nullptr;
    cudaStreamEndCapture(ctx.stream, &graph);
    if (graph) {
      cudaError_t e = cudaGraphDestroy(graph);
      if (e != cudaSuccess) log_destroy_failure("cudaGraphDestroy", int(e));
    }
  }
  cudaGetLastError();  // an invalidated capture leaves a non-sticky error behind
  reset();
}
void CudaGraph::launch(CudaCtx& ctx) const {
  AGF_CHECK(exec_ != nullptr, DeviceError, "CudaGraph::launch: nothing captured");
  CUDA_CHECK(cudaGraphLaunch(exec_, ctx.stream));
}

}  // namespace agf
