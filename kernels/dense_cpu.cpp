// Dense CPU reference with Eigen GEMM (Eigen parallelises large products with OpenMP itself):
// y(N,O) = x(N,I) w(O,I)^T + b.  Backward ACCUMULATES: dx += dy w, dw += dy^T x, db += sum_n dy.
#include "kernels/dense.h"

#include <Eigen/Core>

namespace agf::AGF_ISA_NS {  // one copy per instruction-set path: kernels/isa.h
namespace {
template <typename T> using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T> using MapR = Eigen::Map<MatR<T>>;
template <typename T> using CMapR = Eigen::Map<const MatR<T>>;
}  // namespace

template <typename T> void dense_forward_cpu(T* y, const T* x, const T* w, const T* b, int N, int I, int O) {
  MapR<T> ym(y, N, O);
  CMapR<T> xm(x, N, I), wm(w, O, I);
  if (b) {
    ym.rowwise() = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(b, O);
    ym.noalias() += xm * wm.transpose();
  } else {
    ym.noalias() = xm * wm.transpose();
  }
}

template <typename T>
void dense_backward_cpu(T* dx, T* dw, T* db, const T* dy, const T* x, const T* w, int N, int I, int O) {
  CMapR<T> dym(dy, N, O), xm(x, N, I), wm(w, O, I);
  if (dx) MapR<T>(dx, N, I).noalias() += dym * wm;
  if (dw) MapR<T>(dw, O, I).noalias() += dym.transpose() * xm;
  if (db) Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>(db, O) += dym.colwise().sum();
}

template void dense_forward_cpu<float>(float*, const float*, const float*, const float*, int, int, int);
template void dense_forward_cpu<double>(double*, const double*, const double*, const double*, int, int, int);
template void dense_backward_cpu<float>(float*, float*, float*, const float*, const float*, const float*, int, int,
                                        int);
template void dense_backward_cpu<double>(double*, double*, double*, const double*, const double*, const double*, int,
                                         int, int);

}  // namespace agf::AGF_ISA_NS
