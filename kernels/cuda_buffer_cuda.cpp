// Device queries and raw device memory (cuda_buffer.h): device count and summary, cudaMalloc with the
// out-of-memory advice, synchronous and stream-ordered copies and memsets.
#include "kernels/cuda_buffer.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "kernels/cuda_ctx.h"

namespace agf {

static cudaError_t g_count_error = cudaSuccess;
cudaError_t cuda_device_count_error() {
  cuda_device_count();
  return g_count_error;
}

int cuda_device_count() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear: no driver / no device is not an error for the caller
    g_count_error = e;
    // An old driver (CUDA 13 needs R580+) or a broken install would otherwise look like "no GPU" and
    // every CUDA test would skip: say why, once. No driver at all (a CPU machine) stays quiet.
    // Only where an NVIDIA kernel driver is loaded (/proc/driver/nvidia): on a CPU machine this is normal.
    static bool said = false;
    if (!said && std::ifstream("/proc/driver/nvidia/version").good()) {
      said = true;
      std::fprintf(stderr, "agf: CUDA runtime sees no device: %s: %s\n", cudaGetErrorName(e), cudaGetErrorString(e));
    }
    return 0;
  }
  g_count_error = cudaSuccess;
  return n;
}

std::string cuda_device_summary(int dev) {
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  int cbm = 0, cbn = 0, cbp = 0;
  cublasGetProperty(MAJOR_VERSION, &cbm);
  cublasGetProperty(MINOR_VERSION, &cbn);
  cublasGetProperty(PATCH_LEVEL, &cbp);
  size_t cudnn_ver = cudnnGetVersion();
  std::ostringstream os;
  os << "GPU " << dev << ": " << p.name << ", sm_" << p.major << p.minor << ", " << p.multiProcessorCount << " SMs, "
     << (p.totalGlobalMem >> 20) << " MiB; driver " << driver / 1000 << "." << (driver % 1000) / 10 << ", runtime "
     << runtime / 1000 << "." << (runtime % 1000) / 10 << ", cuDNN " << cudnn_ver / 10000 << "."
     << (cudnn_ver % 10000) / 100 << "." << cudnn_ver % 100 << ", cuBLAS " << cbm << "." << cbn << "." << cbp;
  // A cuDNN built for another CUDA major (a cu12 PyTorch wheel's, found through LD_LIBRARY_PATH) loads,
  // but some of its engines then dlopen CUDA-12 libraries beside our CUDA-13 runtime.
  const size_t cudnn_rt = cudnnGetCudartVersion();
  os << " (cuDNN built for CUDA " << cudnn_rt / 1000 << "." << (cudnn_rt % 1000) / 10 << ")";
  if (int(cudnn_rt / 1000) != runtime / 1000)
    os << "; WARNING: cuDNN was built for CUDA " << cudnn_rt / 1000 << " but this runtime is CUDA " << runtime / 1000
       << ": put a matching cuDNN first on LD_LIBRARY_PATH";
  return os.str();
}

void* cuda_malloc(size_t bytes) {
  void* p = nullptr;
  if (bytes == 0) return nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw DeviceError(str("CUDA out of memory allocating ", bytes >> 20, " MiB (", bytes, " bytes); free ",
                          free_b >> 20, " MiB of ", total_b >> 20, " MiB: try a smaller --batch"));
  }
  if (e != cudaSuccess) throw_cuda_error(e, "cudaMalloc", __FILE__, __LINE__);
  return p;
}

void cuda_free(void* p) noexcept {
  if (!p) return;
  cudaError_t e = cudaFree(p);
  if (e != cudaSuccess) log_destroy_failure("cudaFree", int(e));
}

void cuda_memcpy_h2d(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void cuda_memcpy_d2h(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void cuda_memcpy_d2d(void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
}
void cuda_memcpy_h2d_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx.stream));
}
void cuda_memcpy_d2h_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx.stream));
}
void cuda_memcpy_d2d_async(CudaCtx& ctx, void* dst, const void* src, size_t bytes) {
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx.stream));
}
void cuda_memset_async(CudaCtx& ctx, void* dst, int value, size_t bytes) {
  CUDA_CHECK(cudaMemsetAsync(dst, value, bytes, ctx.stream));
}

}  // namespace agf
