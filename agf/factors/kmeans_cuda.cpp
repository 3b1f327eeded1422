// KMeansDeviceAssigner (see kmeans.h): the points and their squared norms stay on the device; each
// Lloyd step uploads the (K, D) centroids, runs the fused distance/argmin kernel, downloads labels and d2.
#include <cuda_runtime.h>
#include "agf/factors/kmeans.h"
#include "kernels/cuda_ctx.h"
#include "kernels/kmeans.h"

namespace agf {

KMeansDeviceAssigner::KMeansDeviceAssigner(const float* x, int64_t N, int D, int K) : N_(N), D_(D), K_(K) {
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  stream_ = s;
  try {
    CUDA_CHECK(cudaMalloc(&x_, sizeof(float) * N * D));
    CUDA_CHECK(cudaMalloc(&x_sq_, sizeof(float) * N));
    CUDA_CHECK(cudaMalloc(&d2_, sizeof(float) * N));
    CUDA_CHECK(cudaMalloc(&labels_, sizeof(int32_t) * N));
    CUDA_CHECK(cudaMalloc(&c_, sizeof(float) * K * D));
    CUDA_CHECK(cudaMalloc(&c_sq_, sizeof(float) * K));
    CUDA_CHECK(cudaMemcpyAsync(x_, x, sizeof(float) * N * D, cudaMemcpyHostToDevice, s));
    row_sqnorm_cuda(s, x_sq_, x_, N, D);
  } catch (...) {
    this->~KMeansDeviceAssigner();
    throw;
  }
}

KMeansDeviceAssigner::~KMeansDeviceAssigner() {
  for (void* p : {static_cast<void*>(x_), static_cast<void*>(x_sq_), static_cast<void*>(d2_),
                  static_cast<void*>(labels_), static_cast<void*>(c_), static_cast<void*>(c_sq_)})
    if (p) cudaFree(p);
  x_ = x_sq_ = d2_ = c_ = c_sq_ = nullptr;
  labels_ = nullptr;
  if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
  stream_ = nullptr;
}

void KMeansDeviceAssigner::assign(int32_t* labels, float* min_d2, const float* centroids) {
  cudaStream_t s = static_cast<cudaStream_t>(stream_);
  CUDA_CHECK(cudaMemcpyAsync(c_, centroids, sizeof(float) * K_ * D_, cudaMemcpyHostToDevice, s));
  row_sqnorm_cuda(s, c_sq_, c_, K_, D_);
  kmeans_assign_cuda(s, labels_, d2_, x_, x_sq_, c_, c_sq_, N_, D_, K_);
  CUDA_CHECK(cudaMemcpyAsync(labels, labels_, sizeof(int32_t) * N_, cudaMemcpyDeviceToHost, s));
  if (min_d2) CUDA_CHECK(cudaMemcpyAsync(min_d2, d2_, sizeof(float) * N_, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
}

}  // namespace agf
