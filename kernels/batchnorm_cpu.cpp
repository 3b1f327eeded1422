// Batch normalisation CPU reference, statistics per channel over (N, HW); HW = 1 for features (N, C).
// Statistics and backward reductions accumulate in double (two-pass variance), so float32 results are exact
// to rounding of the final values. Backward (training mode) ACCUMULATES into dx, dgamma, dbeta:
// dx = gamma*invstd/M * (M*dy - sum(dy) - xhat*sum(dy*xhat)),  M = N*HW.
#include "kernels/batchnorm.h"

#include <cmath>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h
namespace {

// Sums over one (n, c) plane with 8 independent double accumulators: the order is fixed (deterministic) and
// the compiler can vectorise it, which a single running double sum forbids without -ffast-math.
template <typename T> double plane_sum(const T* x, int n) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) a[j] += x[i + j];
  for (; i < n; ++i) a[i & 7] += x[i];
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

template <typename T> double plane_sqdev(const T* x, int n, double mean) {  // sum (x - mean)^2
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const double d = x[i + j] - mean;
      a[j] += d * d;
    }
  for (; i < n; ++i) {
    const double d = x[i] - mean;
    a[i & 7] += d * d;
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

// sum dy and sum dy * (x - mean) over one plane (times invstd later gives sum dy * xhat).
template <typename T> void plane_dots(const T* dy, const T* x, int n, double mean, double& sdy, double& sdyd) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0}, b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      a[j] += dy[i + j];
      b[j] += dy[i + j] * (x[i + j] - mean);
    }
  for (; i < n; ++i) {
    a[i & 7] += dy[i];
    b[i & 7] += dy[i] * (x[i] - mean);
  }
  sdy += ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  sdyd += ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
}

}  // namespace

template <typename T> void batchnorm_forward_train_cpu(T* y, T* save_mean, T* save_invstd, T* running_mean,
                                                       T* running_var, const T* x, const T* gamma, const T* beta, int N,
                                                       int C, int HW, double momentum, double eps) {
  const double M = static_cast<double>(N) * HW;
#pragma omp parallel for schedule(static) if (static_cast <long long>(N) * C * HW > 32768)
  for (int c = 0; c < C; ++c) {
    double sum = 0;
    for (int n = 0; n < N; ++n) sum += plane_sum(x + (static_cast<size_t>(n) * C + c) * HW, HW);
    const double mean = sum / M;
    double sq = 0;
    for (int n = 0; n < N; ++n) sq += plane_sqdev(x + (static_cast<size_t>(n) * C + c) * HW, HW, mean);
    const double var = sq / M;  // biased: used to normalise
    const double invstd = 1.0 / std::sqrt(var + eps);
    const double g = gamma[c], bt = beta[c];
    for (int n = 0; n < N; ++n) {
      const T* xp = x + (static_cast<size_t>(n) * C + c) * HW;
      T* yp = y + (static_cast<size_t>(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) yp[i] = static_cast<T>(g * ((xp[i] - mean) * invstd) + bt);
    }
    if (save_mean) save_mean[c] = static_cast<T>(mean);
    if (save_invstd) save_invstd[c] = static_cast<T>(invstd);
    // Unbiased variance for the running estimate (M = 1 has none: the biased value, 0, is used).
    const double unbiased = M > 1 ? sq / (M - 1) : var;
    if (running_mean) running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
    if (running_var) running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * unbiased);
  }
}

template <typename T> void batchnorm_forward_infer_cpu(T* y, const T* x, const T* gamma, const T* beta,
                                                       const T* running_mean, const T* running_var, int N, int C,
                                                       int HW, double eps) {
#pragma omp parallel for schedule(static) if (static_cast <long long>(N) * C * HW > 32768)
  for (int c = 0; c < C; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
    const double scale = gamma[c] * invstd, shift = beta[c] - running_mean[c] * scale;
    for (int n = 0; n < N; ++n) {
      const T* xp = x + (static_cast<size_t>(n) * C + c) * HW;
      T* yp = y + (static_cast<size_t>(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) yp[i] = static_cast<T>(xp[i] * scale + shift);
    }
  }
}

template <typename T> void batchnorm_backward_cpu(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* gamma,
                                                  const T* save_mean, const T* save_invstd, int N, int C, int HW,
                                                  bool accumulate) {
  const double M = static_cast<double>(N) * HW;
#pragma omp parallel for schedule(static) if (static_cast <long long>(N) * C * HW > 32768)
  for (int c = 0; c < C; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    double sdy = 0, sdyd = 0;  // sum dy, sum dy * (x - mean)
    for (int n = 0; n < N; ++n) {
      const size_t o = (static_cast<size_t>(n) * C + c) * HW;
      plane_dots(dy + o, x + o, HW, mean, sdy, sdyd);
    }
    const double sdyx = sdyd * invstd;  // sum dy * xhat
    if (dgamma) dgamma[c] += static_cast<T>(sdyx);
    if (dbeta) dbeta[c] += static_cast<T>(sdy);
    if (!dx) continue;
    const double k = gamma[c] * invstd / M;
    for (int n = 0; n < N; ++n) {
      const size_t o = (static_cast<size_t>(n) * C + c) * HW;
      for (int i = 0; i < HW; ++i) {
        const double xhat = (x[o + i] - mean) * invstd;
        const T g = static_cast<T>(k * (M * dy[o + i] - sdy - xhat * sdyx));
        dx[o + i] = accumulate ? dx[o + i] + g : g;
      }
    }
  }
}

#define AGF_INSTANTIATE(T)                                                                                             \
  template void batchnorm_forward_train_cpu<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, int, int, int,        \
                                               double, double);                                                        \
  template void batchnorm_forward_infer_cpu<T>(T*, const T*, const T*, const T*, const T*, const T*, int, int, int,    \
                                               double);                                                                \
  template void batchnorm_backward_cpu<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int, int, int, \
                                          bool);
AGF_INSTANTIATE(float)
AGF_INSTANTIATE(double)
#undef AGF_INSTANTIATE

}  // namespace agf::AGF_ISA_NS
