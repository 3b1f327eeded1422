// CudaCtx (cuda_ctx.h): device, stream, cuDNN/cuBLAS handles, workspace, cached descriptors. Convolution
// algorithm selection lives in conv2d_cudnn.cpp (conv_plan is defined there). Errors, memory and graphs are
// in cuda_check_cuda.cpp, cuda_buffer_cuda.cpp and cuda_graph_cuda.cpp.
#include "kernels/cuda_ctx.h"

#include <array>
#include <map>

namespace agf {

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
  AGF_CHECK(opt.device >= 0 && opt.device < count, DeviceError, "CUDA: device ", opt.device, " requested but only ",
            count, " device(s) present");
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

}  // namespace agf
