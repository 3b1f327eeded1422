// CUDA error reporting (cuda_check.h): the library error strings with advice, the throw helpers behind the
// *_CHECK macros, the launch check with its AGF_CUDA_SYNC_DEBUG switch, and the destructors' log line.
#include "kernels/cuda_check.h"

#include <cstdio>
#include <cstdlib>

namespace agf {

std::string cuda_error_text(cudaError_t e) {
  std::string msg = str(cudaGetErrorName(e), ": ", cudaGetErrorString(e));
  if (e == cudaErrorNoKernelImageForDevice || e == cudaErrorUnsupportedPtxVersion) {
    int dev = 0, major = 0, minor = 0;
    if (cudaGetDevice(&dev) == cudaSuccess) {
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
    }
    msg +=
        str(". This binary has code for sm_80/sm_90 (the default CMAKE_CUDA_ARCHITECTURES "
            "80-real;90-real;90-virtual); the GPU is sm_",
            major, minor, ": rebuild with -DCMAKE_CUDA_ARCHITECTURES=", major, minor);
  } else if (e == cudaErrorMemoryAllocation) {
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
      msg += str(" (free ", free_b >> 20, " MiB of ", total_b >> 20, " MiB): try a smaller --batch");
  } else if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) {
    msg += ": no usable CUDA device; run with --device cpu";
  }
  return msg;
}

void throw_cuda_error(cudaError_t e, const char* expr, const char* file, int line) {
  if (e != cudaErrorIllegalAddress && e != cudaErrorLaunchFailure) cudaGetLastError();  // clear non-sticky
  throw DeviceError(str(expr, " failed at ", file, ":", line, ": ", cuda_error_text(e)));
}
void throw_cudnn_error(cudnnStatus_t s, const char* expr, const char* file, int line) {
  char detail[512] = {0};
  cudnnGetLastErrorString(detail, sizeof(detail));
  throw DeviceError(str(expr, " failed at ", file, ":", line, ": ", cudnnGetErrorString(s),
                        detail[0] ? str(" (", detail, ")") : std::string()));
}
void throw_cublas_error(cublasStatus_t s, const char* expr, const char* file, int line) {
  throw DeviceError(
      str(expr, " failed at ", file, ":", line, ": ", cublasGetStatusName(s), ": ", cublasGetStatusString(s)));
}
const char* cufft_error_string(cufftResult s) {
  switch (s) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED (out of device memory: try a smaller --batch)";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "cuFFT error";
  }
}
void throw_cufft_error(cufftResult s, const char* expr, const char* file, int line) {
  throw DeviceError(str(expr, " failed at ", file, ":", line, ": ", cufft_error_string(s), " (", int(s), ")"));
}
void log_destroy_failure(const char* what, int status) {
  std::fprintf(stderr, "agf: warning: %s failed with status %d during cleanup\n", what, status);
}

bool cuda_sync_debug() {
  static const bool on = [] {
    const char* v = std::getenv("AGF_CUDA_SYNC_DEBUG");
    return v && v[0] == '1';
  }();
  return on;
}

void cuda_kernel_check(cudaStream_t s, const char* file, int line) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw_cuda_error(e, "kernel launch", file, line);
  if (cuda_sync_debug()) {
    cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(s, &st) == cudaSuccess && st == cudaStreamCaptureStatusNone) {
      e = cudaStreamSynchronize(s);
      if (e != cudaSuccess) throw_cuda_error(e, "kernel execution (AGF_CUDA_SYNC_DEBUG)", file, line);
    }
  }
}

}  // namespace agf
