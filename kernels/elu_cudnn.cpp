// ELU forward through cuDNN's activation (CUDNN_ACTIVATION_ELU, coef = alpha): y = x > 0 ? x : alpha (e^x - 1).
// The backward pass is a custom kernel (elu_cuda.cu): our contract saves only the output y, while
// cudnnActivationBackward also needs x; from y alone dx += dy * (y > 0 ? 1 : y + alpha) is exact.
#include "kernels/cuda_ctx.h"
#include "kernels/elu.h"

namespace agf {

void elu_forward(CudaCtx& ctx, float* y, const float* x, size_t n, float alpha) {
  if (n == 0) return;
  AGF_CHECK(n < size_t(1) << 31, ShapeError, "elu_forward_cuda: ", n, " elements exceed cuDNN's int range");
  const float one = 1.0f, zero = 0.0f;
  // Element-wise, so any packed shape holding n values will do.
  cudnnTensorDescriptor_t d = ctx.tensor_desc(1, 1, 1, static_cast<int>(n));
  cudnnStatus_t s = cudnnActivationForward(ctx.cudnn, ctx.elu_desc(alpha), &one, d, x, &zero, d, y);
  if (s != CUDNN_STATUS_SUCCESS)
    throw_cudnn_error(s, str("cudnnActivationForward(ELU, alpha ", alpha, ") n ", n).c_str(), __FILE__, __LINE__);
}

}  // namespace agf
