// Forward declarations so that op headers can declare CUDA entry points without CUDA headers.
#pragma once
#ifdef AGF_HAVE_CUDA
typedef struct CUstream_st* cudaStream_t;
namespace agf {
struct CudaCtx;  // kernels/cuda_ctx.h: stream, cuDNN/cuBLAS handles, workspace, algorithm cache
}
#endif
