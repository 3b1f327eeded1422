// CUDA error reporting: CUDA_CHECK / CUDNN_CHECK / CUBLAS_CHECK / CUFFT_CHECK throw DeviceError with the failed
// expression, file, line and the library's message; AGF_KERNEL_CHECK after every launch. Destructors only log.
#pragma once
#ifndef AGF_HAVE_CUDA
#error "kernels/cuda_check.h needs the CUDA backend (configure with -DAGF_CUDA=ON)"
#endif

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cufft.h>

#include <string>

#include "util/error.h"

namespace agf {

// ---- Errors: each throws DeviceError("<expr> failed at file:line: <library message>").
[[noreturn]] void throw_cuda_error(cudaError_t e, const char* expr, const char* file, int line);
[[noreturn]] void throw_cudnn_error(cudnnStatus_t s, const char* expr, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t s, const char* expr, const char* file, int line);
[[noreturn]] void throw_cufft_error(cufftResult s, const char* expr, const char* file, int line);
const char* cufft_error_string(cufftResult s);
// cudaGetErrorString plus advice for the errors users can act on (no kernel image, OOM, no device).
std::string cuda_error_text(cudaError_t e);
// Checks the last launch error; with env AGF_CUDA_SYNC_DEBUG=1 also synchronises the stream (unless it is
// being captured into a graph) so an illegal access is reported at the launch that caused it.
void cuda_kernel_check(cudaStream_t s, const char* file, int line);
bool cuda_sync_debug();  // AGF_CUDA_SYNC_DEBUG=1, read once

void log_destroy_failure(const char* what, int status);  // destructors log, never throw

}  // namespace agf

#define CUDA_CHECK(expr)                                                                   \
  do {                                                                                     \
    cudaError_t agf_e_ = (expr);                                                           \
    if (agf_e_ != cudaSuccess) ::agf::throw_cuda_error(agf_e_, #expr, __FILE__, __LINE__); \
  } while (0)
#define CUDNN_CHECK(expr)                                                                            \
  do {                                                                                               \
    cudnnStatus_t agf_s_ = (expr);                                                                   \
    if (agf_s_ != CUDNN_STATUS_SUCCESS) ::agf::throw_cudnn_error(agf_s_, #expr, __FILE__, __LINE__); \
  } while (0)
#define CUBLAS_CHECK(expr)                                                                             \
  do {                                                                                                 \
    cublasStatus_t agf_s_ = (expr);                                                                    \
    if (agf_s_ != CUBLAS_STATUS_SUCCESS) ::agf::throw_cublas_error(agf_s_, #expr, __FILE__, __LINE__); \
  } while (0)
#define CUFFT_CHECK(expr)                                                                     \
  do {                                                                                        \
    cufftResult agf_s_ = (expr);                                                              \
    if (agf_s_ != CUFFT_SUCCESS) ::agf::throw_cufft_error(agf_s_, #expr, __FILE__, __LINE__); \
  } while (0)
// After every kernel launch: AGF_KERNEL_CHECK(stream). (Takes the stream so the debug switch can sync it.)
#define AGF_KERNEL_CHECK(stream) ::agf::cuda_kernel_check((stream), __FILE__, __LINE__)
