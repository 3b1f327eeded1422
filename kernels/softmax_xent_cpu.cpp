// Softmax + cross-entropy against soft targets, CPU reference. Row-wise log-sum-exp with the max subtracted:
// log p(n,k) = z(n,k) - max_n - log sum_j exp(z(n,j) - max_n); loss = -(1/N) sum t log p (summed in double).
// Backward ACCUMULATES: dz(n,k) += dloss * (p(n,k) * sum_j t(n,j) - t(n,k)) / N.
#include "kernels/softmax_xent.h"

#include <algorithm>
#include <cmath>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h
namespace {
// probs row = softmax(z row); returns max + log sum exp(z - max) = log sum exp(z).
template <typename T> double softmax_row(T* p, const T* z, int K) {
  double mx = z[0];
  for (int k = 1; k < K; ++k) mx = std::max(mx, static_cast<double>(z[k]));
  double s = 0;
  for (int k = 0; k < K; ++k) s += std::exp(z[k] - mx);
  for (int k = 0; k < K; ++k) p[k] = static_cast<T>(std::exp(z[k] - mx) / s);
  return mx + std::log(s);
}
}  // namespace

template <typename T>
void softmax_xent_forward_cpu(T* probs, T* loss_out, const T* logits, const T* targets, int N, int K) {
  double loss = 0;
  for (int n = 0; n < N; ++n) {
    const T* z = logits + static_cast<size_t>(n) * K;
    const T* t = targets + static_cast<size_t>(n) * K;
    const double lse = softmax_row(probs + static_cast<size_t>(n) * K, z, K);
    for (int k = 0; k < K; ++k)
      if (t[k] != T(0)) loss -= t[k] * (z[k] - lse);  // skip zeros: one-hot rows with -inf-free logs
  }
  *loss_out = static_cast<T>(loss / N);
}

template <typename T>
void softmax_xent_backward_cpu(T* dlogits, const T* probs, const T* targets, int N, int K, const T* dloss) {
  const double scale = static_cast<double>(*dloss) / N;
  for (int n = 0; n < N; ++n) {
    const T* p = probs + static_cast<size_t>(n) * K;
    const T* t = targets + static_cast<size_t>(n) * K;
    T* dz = dlogits + static_cast<size_t>(n) * K;
    double tsum = 0;
    for (int k = 0; k < K; ++k) tsum += t[k];
    for (int k = 0; k < K; ++k) dz[k] += static_cast<T>(scale * (p[k] * tsum - t[k]));
  }
}

template <typename T> void softmax_forward_cpu(T* probs, const T* logits, int N, int K) {
  for (int n = 0; n < N; ++n) softmax_row(probs + static_cast<size_t>(n) * K, logits + static_cast<size_t>(n) * K, K);
}

template void softmax_xent_forward_cpu<float>(float*, float*, const float*, const float*, int, int);
template void softmax_xent_forward_cpu<double>(double*, double*, const double*, const double*, int, int);
template void softmax_xent_backward_cpu<float>(float*, const float*, const float*, int, int, const float*);
template void softmax_xent_backward_cpu<double>(double*, const double*, const double*, int, int, const double*);
template void softmax_forward_cpu<float>(float*, const float*, int, int);
template void softmax_forward_cpu<double>(double*, const double*, int, int);

}  // namespace agf::AGF_ISA_NS
