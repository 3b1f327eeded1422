// Tape ops with parameters: conv2d, dense, batch norm (kernels/conv2d.h, dense.h, batchnorm.h).
#include "engine/ops_util.h"
#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"

namespace agf {
using namespace detail;

Var conv2d(Tape& t, Var xv, Var wv, Var bv) {
  const Tensor x = t.value(xv), w = t.value(wv), b = t.value(bv);
  check_float("conv2d", x);
  check_same("conv2d", x, w);
  check_same("conv2d", x, b);
  AGF_CHECK(x.ndim() == 4 && w.ndim() == 4 && b.ndim() == 1 && w.dim(1) == x.dim(1) && b.dim(0) == w.dim(0) &&
                w.dim(2) % 2 == 1 && w.dim(3) % 2 == 1,
            ShapeError, "conv2d: x ", x.shape().str(), ", w ", w.shape().str(), ", b ", b.shape().str(),
            ": need x (N,C,H,W), w (K,C,R,S) with odd R,S, b (K)");
  const int N = int(x.dim(0)), C = int(x.dim(1)), H = int(x.dim(2)), W = int(x.dim(3));
  const int K = int(w.dim(0)), R = int(w.dim(2)), S = int(w.dim(3));
  Tensor y = t.arena().alloc(Shape{N, K, H, W}, x.dtype());
  dispatch(t, x, "conv2d", [=](auto& be, auto tag) {
    using T = decltype(tag);
    conv2d_forward(be, ptr<T>(y), ptr<T>(x), ptr<T>(w), ptr<T>(b), N, C, H, W, K, R, S);
  });
  bool need = t.requires_grad(xv) || t.requires_grad(wv) || t.requires_grad(bv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, wv, bv, yv, N, C, H, W, K, R, S] {
      const Tensor x = t.value(xv), w = t.value(wv), dy = t.grad(yv);
      if (t.requires_grad(wv) || t.requires_grad(bv)) {
        Tensor dw = t.grad(wv), db = t.grad(bv);
        dispatch(t, x, "conv2d backward", [=](auto& be, auto tag) {
          using T = decltype(tag);
          conv2d_backward_filter(be, ptr<T>(dw), ptr<T>(db), ptr<T>(dy), ptr<T>(x), N, C, H, W, K, R, S);
        });
      }
      if (t.requires_grad(xv)) {
        const auto [dx, acc] = t.grad_for_write(xv);
        dispatch(t, x, "conv2d backward", [=](auto& be, auto tag) {
          using T = decltype(tag);
          conv2d_backward_data(be, ptr<T>(dx), ptr<T>(dy), ptr<T>(w), N, C, H, W, K, R, S, acc);
        });
      }
    });
  }
  return yv;
}

Var conv2d_bn_elu_pool_infer(Tape& t, Var xv, Var wv, Var bv, const BnInference* bn, double alpha, int kh, int kw) {
  const Tensor x = t.value(xv), w = t.value(wv), b = t.value(bv);
  check_float("conv2d_bn_elu_pool_infer", x);
  check_same("conv2d_bn_elu_pool_infer", x, w);
  check_same("conv2d_bn_elu_pool_infer", x, b);
  AGF_CHECK(!t.training, UsageError, "conv2d_bn_elu_pool_infer: inference only (the tape is in training mode)");
  AGF_CHECK(x.ndim() == 4 && w.ndim() == 4 && b.ndim() == 1 && w.dim(1) == x.dim(1) && b.dim(0) == w.dim(0) &&
                w.dim(2) % 2 == 1 && w.dim(3) % 2 == 1 && kh >= 1 && kw >= 1 && x.dim(2) >= kh && x.dim(3) >= kw,
            ShapeError, "conv2d_bn_elu_pool_infer: x ", x.shape().str(), ", w ", w.shape().str(), ", b ",
            b.shape().str(), ", pool ", kh, "x", kw,
            ": need x (N,C,H,W) with H >= kh, W >= kw, w (K,C,R,S) with odd R,S, b (K)");
  const int N = int(x.dim(0)), C = int(x.dim(1)), H = int(x.dim(2)), W = int(x.dim(3));
  const int K = int(w.dim(0)), R = int(w.dim(2)), S = int(w.dim(3));
  Tensor g, beta, rm, rv;
  const double eps = bn ? bn->eps : 0.0;
  if (bn) {
    g = t.value(bn->gamma);
    beta = t.value(bn->beta);
    rm = bn->running_mean;
    rv = bn->running_var;
    for (const Tensor* p : {&g, &beta, &rm, &rv}) {
      check_same("conv2d_bn_elu_pool_infer", x, *p);
      AGF_CHECK(p->ndim() == 1 && p->dim(0) == K, ShapeError, "conv2d_bn_elu_pool_infer: batch-norm parameter ",
                p->shape().str(), " for ", K, " channels");
    }
  }
  Tensor y = t.arena().alloc(Shape{N, K, H / kh, W / kw}, x.dtype());
  dispatch_cpu(x, "conv2d_bn_elu_pool_infer", [=](auto& be, auto tag) {
    using T = decltype(tag);
    conv2d_bn_elu_pool_infer(be, ptr<T>(y), ptr<T>(x), ptr<T>(w), ptr<T>(b), N, C, H, W, K, R, S, ptr<T>(g),
                             ptr<T>(beta), ptr<T>(rm), ptr<T>(rv), eps, T(alpha), kh, kw);
  });
  return t.make(y, false);
}

Var dense(Tape& t, Var xv, Var wv, Var bv) {
  const Tensor x = t.value(xv), w = t.value(wv), b = t.value(bv);
  check_float("dense", x);
  check_same("dense", x, w);
  check_same("dense", x, b);
  const int N = int(x.dim(0));
  const int I = N ? int(x.numel() / N) : 0;
  AGF_CHECK(x.ndim() >= 2 && w.ndim() == 2 && b.ndim() == 1 && w.dim(1) == I && b.dim(0) == w.dim(0), ShapeError,
            "dense: x ", x.shape().str(), ", w ", w.shape().str(), ", b ", b.shape().str(),
            ": need x (N,I), w (O,I), b (O)");
  const int O = int(w.dim(0));
  Tensor y = t.arena().alloc(Shape{N, O}, x.dtype());
  dispatch(t, x, "dense", [=](auto& be, auto tag) {
    using T = decltype(tag);
    dense_forward(be, ptr<T>(y), ptr<T>(x), ptr<T>(w), ptr<T>(b), N, I, O);
  });
  bool need = t.requires_grad(xv) || t.requires_grad(wv) || t.requires_grad(bv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, wv, bv, yv, N, I, O] {
      const Tensor x = t.value(xv), w = t.value(wv), dy = t.grad(yv);
      Tensor dx = t.requires_grad(xv) ? t.grad(xv) : Tensor();
      Tensor dw = t.grad(wv), db = t.grad(bv);
      dispatch(t, x, "dense backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        dense_backward(be, ptr<T>(dx), ptr<T>(dw), ptr<T>(db), ptr<T>(dy), ptr<T>(x), ptr<T>(w), N, I, O);
      });
    });
  }
  return yv;
}

Var batchnorm(Tape& t, Var xv, Var gv, Var bv, const Tensor& rmean, const Tensor& rvar, double momentum, double eps) {
  const Tensor x = t.value(xv), gamma = t.value(gv), beta = t.value(bv);
  check_float("batchnorm", x);
  check_same("batchnorm", x, gamma);
  check_same("batchnorm", x, rmean);
  AGF_CHECK((x.ndim() == 4 || x.ndim() == 2) && gamma.numel() == x.dim(1) && beta.numel() == x.dim(1) &&
                rmean.numel() == x.dim(1) && rvar.numel() == x.dim(1),
            ShapeError, "batchnorm: x ", x.shape().str(), ", gamma ", gamma.shape().str(), ", running stats ",
            rmean.shape().str(), ": need x (N,C,H,W) or (N,C) and (C) parameters");
  const int N = int(x.dim(0)), C = int(x.dim(1));
  const int HW = x.ndim() == 4 ? int(x.dim(2) * x.dim(3)) : 1;
  Tensor y = t.arena().alloc(x.shape(), x.dtype());
  if (!t.training) {
    dispatch(t, x, "batchnorm", [=](auto& be, auto tag) {
      using T = decltype(tag);
      batchnorm_forward_infer(be, ptr<T>(y), ptr<T>(x), ptr<T>(gamma), ptr<T>(beta), ptr<T>(rmean), ptr<T>(rvar), N, C,
                              HW, eps);
    });
    return t.make(y, false);  // inference mode is never differentiated here
  }
  AGF_CHECK(N * HW > 1, ShapeError, "batchnorm: training mode needs more than one value per channel, x ",
            x.shape().str());
  Tensor mean = t.arena().alloc(Shape{C}, x.dtype()), invstd = t.arena().alloc(Shape{C}, x.dtype());
  dispatch(t, x, "batchnorm", [=](auto& be, auto tag) {
    using T = decltype(tag);
    batchnorm_forward_train(be, ptr<T>(y), ptr<T>(mean), ptr<T>(invstd), ptr<T>(rmean), ptr<T>(rvar), ptr<T>(x),
                            ptr<T>(gamma), ptr<T>(beta), N, C, HW, momentum, eps);
  });
  bool need = t.requires_grad(xv) || t.requires_grad(gv) || t.requires_grad(bv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, gv, bv, yv, mean, invstd, N, C, HW] {
      const Tensor x = t.value(xv), gamma = t.value(gv), dy = t.grad(yv);
      const auto [dx, acc] = t.grad_for_write(xv);
      Tensor dg = t.grad(gv), db = t.grad(bv);
      dispatch(t, x, "batchnorm backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        batchnorm_backward(be, ptr<T>(dx), ptr<T>(dg), ptr<T>(db), ptr<T>(dy), ptr<T>(x), ptr<T>(gamma), ptr<T>(mean),
                           ptr<T>(invstd), N, C, HW, acc);
      });
    });
  }
  return yv;
}

}  // namespace agf
