// Forward declarations so that op headers can declare CUDA entry points without CUDA headers.
// CudaCtx is declared in every build (engine code holds pointers to it); it is defined only with CUDA.
#pragma once
namespace agf {
struct CudaCtx;  // kernels/cuda_ctx.h: stream, cuDNN/cuBLAS handles, workspace, algorithm cache
}
#ifdef AGF_HAVE_CUDA
typedef struct CUstream_st* cudaStream_t;
#endif
