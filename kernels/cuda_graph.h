// CudaGraph: the driver's stream capture of the work issued to one CudaCtx's stream, instantiated and replayable.
#pragma once
#ifndef AGF_HAVE_CUDA
#error "kernels/cuda_graph.h needs the CUDA backend (configure with -DAGF_CUDA=ON)"
#endif

#include <cuda_runtime.h>

#include <cstddef>

#include "kernels/cuda_check.h"

namespace agf {

struct CudaCtx;

// ---- CUDA graphs: capture the work issued to ctx.stream between begin() and end(), replay it with launch().
// Capture mode is thread-local: an allocation or a synchronisation inside the captured step is an error, not a
// silently broken graph. Values the step reads from host memory are baked in: pass per-step scalars through
// device memory (Adam's [bc1, bc2], dropout's [seed, offset]) and update them before each launch.
class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(CudaGraph&& o) noexcept;
  CudaGraph& operator=(CudaGraph&& o) noexcept;
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  void begin(CudaCtx& ctx);
  void end(CudaCtx& ctx);  // ends the capture and instantiates the executable graph
  // Ends a capture that failed (or was abandoned) on ctx's stream, if one is open, and discards everything:
  // the graph is empty afterwards and the stream usable again.
  void abort(CudaCtx& ctx) noexcept;
  void launch(CudaCtx& ctx) const;
  bool ready() const { return exec_ != nullptr; }
  size_t num_nodes() const { return nodes_; }

 private:
  void reset() noexcept;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  size_t nodes_ = 0;
};

}  // namespace agf
