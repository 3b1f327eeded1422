// CudaCtx: device, stream, cuDNN/cuBLAS handles, workspace, cached descriptors; error reporting and memory
// helpers. Convolution algorithm selection lives in conv2d_cudnn.cpp (conv_plan is defined there).
#include "kernels/cuda_ctx.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace agf {

// ---------------------------------------------------------------- errors
std::string cuda_error_text(cudaError_t e) {
  std::string msg = str(cudaGetErrorName(e), ": ", cudaGetErrorString(e));
  if (e == cudaErrorNoKernelImageForDevice || e == cudaErrorUnsupportedPtxVersion) {
    int dev = 0, major = 0, minor = 0;
    if (cudaGetDevice(&dev) == cudaSuccess) {
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
    }
    msg += str(". This binary has code for sm_80/sm_90 (the default CMAKE_CUDA_ARCHITECTURES "
               "80-real;90-real;90-virtual); the GPU is sm_", major, minor,
               ": rebuild with -DCMAKE_CUDA_ARCHITECTURES=", major, minor);
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
  throw DeviceError(str(expr, " failed at ", file, ":", line, ": ", cublasGetStatusName(s), ": ",
                        cublasGetStatusString(s)));
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

// ---------------------------------------------------------------- descriptors
TensorDesc make_tensor_desc(int n, int c, int h, int w) {
  TensorDesc d;
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
  return d;
}

struct CudaCtx::Caches {
  std::map<std::array<int, 4>, TensorDesc> tensors;
  std::map<float, ActivationDesc> elus;
  std::map<std::array<int, 10>, ConvPlan> convs;  // key: shape and flags
};

// ---------------------------------------------------------------- context
CudaCtx::CudaCtx(const CudaCtxOptions& opt)
    : device(opt.device), deterministic(opt.deterministic), tf32(opt.tf32), benchmark(opt.benchmark) {
  int count = cuda_device_count();
  AGF_CHECK(count > 0, DeviceError, "CUDA: no CUDA device found (cudaGetDeviceCount: ",
            cuda_device_count_error() == cudaSuccess
                ? std::string("0 devices")
                : str(cudaGetErrorName(cuda_device_count_error()), ": ", cudaGetErrorString(cuda_device_count_error())),
            "); run with --device cpu");
  AGF_CHECK(opt.device >= 0 && opt.device < count, DeviceError, "CUDA: device ", opt.device,
            " requested but only ", count, " device(s) present");
  caches_ = std::make_unique<Caches>();
  try {
    CUDA_CHECK(cudaSetDevice(device));
    // A blocking stream: work on the legacy default stream (a plain cudaMemcpy or cudaMemset by a caller
    // that never made this context current) is ordered with it in both directions, and such a call
    // during a capture fails loudly (cudaErrorStreamCaptureImplicit) instead of racing.
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamDefault));
    CUDNN_CHECK(cudnnCreate(&cudnn));
    CUDNN_CHECK(cudnnSetStream(cudnn, stream));
    CUBLAS_CHECK(cublasCreate(&cublas));
    CUBLAS_CHECK(cublasSetStream(cublas, stream));
    // Default math: FP32. The compute type of each GEMM (gemm_compute_type) decides TF32 per call.
    CUBLAS_CHECK(cublasSetMathMode(cublas, CUBLAS_DEFAULT_MATH));
    cublas_workspace_bytes = size_t(32) << 20;  // NVIDIA's recommendation for Hopper
    cublas_workspace = cuda_malloc(cublas_workspace_bytes);
    CUBLAS_CHECK(cublasSetWorkspace(cublas, cublas_workspace, cublas_workspace_bytes));
    workspace_bytes = opt.workspace_bytes;
    if (workspace_bytes) workspace = cuda_malloc(workspace_bytes);
    // A first launch error here (no kernel image for this GPU) is reported by the first kernel instead.
  } catch (...) {
    release();
    throw;
  }
}

void CudaCtx::release() noexcept {
  if (caches_) caches_.reset();  // descriptors first, while the handles still exist
  if (device >= 0) cudaSetDevice(device);
  if (stream) cudaStreamSynchronize(stream);
  if (workspace) cuda_free(workspace);
  if (cublas_workspace) cuda_free(cublas_workspace);
  if (cublas) {
    cublasStatus_t s = cublasDestroy(cublas);
    if (s != CUBLAS_STATUS_SUCCESS) log_destroy_failure("cublasDestroy", int(s));
  }
  if (cudnn) {
    cudnnStatus_t s = cudnnDestroy(cudnn);
    if (s != CUDNN_STATUS_SUCCESS) log_destroy_failure("cudnnDestroy", int(s));
  }
  if (stream) {
    cudaError_t e = cudaStreamDestroy(stream);
    if (e != cudaSuccess) log_destroy_failure("cudaStreamDestroy", int(e));
  }
  workspace = cublas_workspace = nullptr;
  cublas = nullptr;
  cudnn = nullptr;
  stream = nullptr;
}

CudaCtx::~CudaCtx() { release(); }

CudaCtx::CudaCtx(CudaCtx&& o) noexcept { *this = std::move(o); }

CudaCtx& CudaCtx::operator=(CudaCtx&& o) noexcept {
  if (this == &o) return *this;
  release();
  device = o.device;
  stream = o.stream;
  cudnn = o.cudnn;
  cublas = o.cublas;
  workspace = o.workspace;
  workspace_bytes = o.workspace_bytes;
  cublas_workspace = o.cublas_workspace;
  cublas_workspace_bytes = o.cublas_workspace_bytes;
  deterministic = o.deterministic;
  tf32 = o.tf32;
  benchmark = o.benchmark;
  caches_ = std::move(o.caches_);
  o.stream = nullptr;
  o.cudnn = nullptr;
  o.cublas = nullptr;
  o.workspace = o.cublas_workspace = nullptr;
  o.workspace_bytes = o.cublas_workspace_bytes = 0;
  return *this;
}

void CudaCtx::synchronize() const { CUDA_CHECK(cudaStreamSynchronize(stream)); }

bool CudaCtx::capturing() const {
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream, &st));
  return st != cudaStreamCaptureStatusNone;
}

cudnnTensorDescriptor_t CudaCtx::tensor_desc(int n, int c, int h, int w) {
  std::array<int, 4> key{n, c, h, w};
  auto it = caches_->tensors.find(key);
  if (it == caches_->tensors.end()) it = caches_->tensors.emplace(key, make_tensor_desc(n, c, h, w)).first;
  return it->second;
}

cudnnActivationDescriptor_t CudaCtx::elu_desc(float alpha) {
  auto it = caches_->elus.find(alpha);
  if (it == caches_->elus.end()) {
    ActivationDesc d;
    CUDNN_CHECK(cudnnSetActivationDescriptor(d, CUDNN_ACTIVATION_ELU, CUDNN_PROPAGATE_NAN, double(alpha)));
    it = caches_->elus.emplace(alpha, std::move(d)).first;
  }
  return it->second;
}

ConvPlan& CudaCtx::conv_plan(int N, int C, int H, int W, int K, int R, int S) {
  std::array<int, 10> key{N, C, H, W, K, R, S, int(deterministic), int(tf32), int(benchmark)};
  auto it = caches_->convs.find(key);
  if (it == caches_->convs.end()) it = caches_->convs.emplace(key, make_conv_plan(*this, N, C, H, W, K, R, S)).first;
  return it->second;
}

// ---------------------------------------------------------------- devices and memory
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
  os << "GPU " << dev << ": " << p.name << ", sm_" << p.major << p.minor << ", " << p.multiProcessorCount
     << " SMs, " << (p.totalGlobalMem >> 20) << " MiB; driver " << driver / 1000 << "." << (driver % 1000) / 10
     << ", runtime " << runtime / 1000 << "." << (runtime % 1000) / 10 << ", cuDNN " << cudnn_ver / 10000 << "."
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

// ---------------------------------------------------------------- CUDA graphs
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
void CudaGraph::launch(CudaCtx& ctx) const {
  AGF_CHECK(exec_ != nullptr, DeviceError, "CudaGraph::launch: nothing captured");
  CUDA_CHECK(cudaGraphLaunch(exec_, ctx.stream));
}

}  // namespace agf
