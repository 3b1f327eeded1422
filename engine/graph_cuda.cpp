// The CUDA half of DeviceGraph (graph.h): the driver's thread-local stream capture and its executable graph.
#include <cuda_runtime.h>
#include "engine/graph.h"
#include "kernels/cuda_ctx.h"

namespace agf {

struct DeviceGraph::Cuda {
  CudaGraph g;
};

DeviceGraph::Cuda* cuda_graph_new() { return new DeviceGraph::Cuda(); }
void cuda_graph_delete(DeviceGraph::Cuda* g) noexcept { delete g; }
void cuda_graph_begin(DeviceGraph::Cuda& g, CudaCtx& ctx) { g.g.begin(ctx); }
void cuda_graph_end(DeviceGraph::Cuda& g, CudaCtx& ctx) { g.g.end(ctx); }
void cuda_graph_abort(DeviceGraph::Cuda& g, CudaCtx& ctx) noexcept { g.g.abort(ctx); }
void cuda_graph_launch(DeviceGraph::Cuda& g, CudaCtx& ctx) { g.g.launch(ctx); }
size_t cuda_graph_nodes(const DeviceGraph::Cuda& g) { return g.g.num_nodes(); }

}  // namespace agf
