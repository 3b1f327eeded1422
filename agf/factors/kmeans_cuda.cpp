// KMeansDeviceAssigner (see kmeans.h): the points and their squared norms stay on the device; each
// Lloyd step uploads the (K, D) centroids, runs the fused distance/argmin kernel, downloads labels and d2.
// Memory is DeviceBuffer (freed however the constructor leaves), the work goes on the context's stream.
#include "agf/factors/kmeans.h"
#include "kernels/cuda_ctx.h"
#include "kernels/kmeans.h"

namespace agf {

KMeansDeviceAssigner::KMeansDeviceAssigner(CudaCtx& ctx, const float* x, int64_t N, int D, int K)
    : ctx_(ctx), N_(N), D_(D), K_(K), x_(size_t(N) * size_t(D)), x_sq_(size_t(N)), c_(size_t(K) * size_t(D)),
      c_sq_(size_t(K)), d2_(size_t(N)), labels_(size_t(N)) {
  cuda_memcpy_h2d_async(ctx_, x_.get(), x, x_.bytes());
  row_sqnorm_cuda(ctx_.stream, x_sq_.get(), x_.get(), N, D);
}

void KMeansDeviceAssigner::assign(int32_t* labels, float* min_d2, const float* centroids) {
  cuda_memcpy_h2d_async(ctx_, c_.get(), centroids, c_.bytes());
  row_sqnorm_cuda(ctx_.stream, c_sq_.get(), c_.get(), K_, D_);
  kmeans_assign_cuda(ctx_.stream, labels_.get(), d2_.get(), x_.get(), x_sq_.get(), c_.get(), c_sq_.get(), N_, D_, K_);
  cuda_memcpy_d2h_async(ctx_, labels, labels_.get(), labels_.bytes());
  if (min_d2) cuda_memcpy_d2h_async(ctx_, min_d2, d2_.get(), d2_.bytes());
  ctx_.synchronize();
}

}  // namespace agf
