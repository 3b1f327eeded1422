// Tape ops without parameters: ELU, max-pool, dropout, global average pooling, softmax + cross-entropy.
#include "engine/ops_util.h"
#include "kernels/dropout.h"
#include "kernels/elu.h"
#include "kernels/gap.h"
#include "kernels/maxpool.h"
#include "kernels/softmax_xent.h"

namespace agf {
using namespace detail;

Var elu(Tape& t, Var xv, double alpha) {
  const Tensor x = t.value(xv);
  check_float("elu", x);
  Tensor y = t.arena().alloc(x.shape(), x.dtype());
  const size_t n = size_t(x.numel());
  dispatch(t, x, "elu", [=](auto& be, auto tag) {
    using T = decltype(tag);
    elu_forward(be, ptr<T>(y), ptr<T>(x), n, T(alpha));
  });
  bool need = t.requires_grad(xv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, yv, n, alpha] {  // ELU keeps its output only
      const Tensor y = t.value(yv), dy = t.grad(yv);
      const auto [dx, acc] = t.grad_for_write(xv);
      dispatch(t, y, "elu backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        elu_backward(be, ptr<T>(dx), ptr<T>(dy), ptr<T>(y), n, T(alpha), acc);
      });
    });
  }
  return yv;
}

Var maxpool(Tape& t, Var xv, int kh, int kw) {
  const Tensor x = t.value(xv);
  check_float("maxpool", x);
  AGF_CHECK(x.ndim() == 4 && kh >= 1 && kw >= 1 && x.dim(2) >= kh && x.dim(3) >= kw, ShapeError, "maxpool ", kh, "x",
            kw, ": input ", x.shape().str(), " must be (N,C,H,W) with H >= ", kh, " and W >= ", kw);
  const int N = int(x.dim(0)), C = int(x.dim(1)), H = int(x.dim(2)), W = int(x.dim(3));
  Shape os{N, C, H / kh, W / kw};
  Tensor y = t.arena().alloc(os, x.dtype());
  Tensor arg = t.arena().alloc(os, DType::I32);
  dispatch(t, x, "maxpool", [=](auto& be, auto tag) {
    using T = decltype(tag);
    maxpool_forward(be, ptr<T>(y), ptr<int32_t>(arg), ptr<T>(x), N, C, H, W, kh, kw);
  });
  bool need = t.requires_grad(xv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, yv, arg, N, C, H, W, kh, kw] {
      const Tensor dy = t.grad(yv);
      const auto [dx, acc] = t.grad_for_write(xv);
      dispatch(t, dy, "maxpool backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        maxpool_backward(be, ptr<T>(dx), ptr<T>(dy), ptr<int32_t>(arg), N, C, H, W, kh, kw, acc);
      });
    });
  }
  return yv;
}

Var dropout(Tape& t, Var xv, float p) {
  const Tensor x = t.value(xv);
  check_float("dropout", x);
  AGF_CHECK(p >= 0.f && p < 1.f, ShapeError, "dropout: p must be in [0, 1), got ", p);
  if (!t.training || p == 0.f) return xv;
  const size_t n = size_t(x.numel());
  const uint64_t offset = t.rng_offset;
  t.rng_offset += n;  // every dropout op draws a fresh, reproducible slice of the stream
  Tensor y = t.arena().alloc(x.shape(), x.dtype());
  Tensor mask = t.arena().alloc(x.shape(), DType::U8);
  // [seed, offset] are read through the slot when the kernel runs, so a captured step replays with new masks.
  const uint64_t* slot = t.rng_slot(t.seed, offset);
  dispatch(t, x, "dropout", [=](auto& be, auto tag) {
    using T = decltype(tag);
    dropout_forward(be, ptr<T>(y), ptr<uint8_t>(mask), ptr<T>(x), n, p, slot);
  });
  bool need = t.requires_grad(xv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, yv, mask, n, p] {
      const Tensor dy = t.grad(yv);
      const auto [dx, acc] = t.grad_for_write(xv);
      dispatch(t, dy, "dropout backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        dropout_backward(be, ptr<T>(dx), ptr<T>(dy), ptr<uint8_t>(mask), n, p, acc);
      });
    });
  }
  return yv;
}

Var gap(Tape& t, Var xv) {
  const Tensor x = t.value(xv);
  check_float("gap", x);
  AGF_CHECK(x.ndim() == 4, ShapeError, "gap: input ", x.shape().str(), " must be (N,C,H,W)");
  const int N = int(x.dim(0)), C = int(x.dim(1)), HW = int(x.dim(2) * x.dim(3));
  Tensor y = t.arena().alloc(Shape{N, C}, x.dtype());
  dispatch(t, x, "gap", [=](auto& be, auto tag) {
    using T = decltype(tag);
    gap_forward(be, ptr<T>(y), ptr<T>(x), N, C, HW);
  });
  bool need = t.requires_grad(xv);
  Var yv = t.make(y, need);
  if (need) {
    t.record([&t, xv, yv, N, C, HW] {
      const Tensor dy = t.grad(yv);
      Tensor dx = t.grad(xv);
      dispatch(t, dy, "gap backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        gap_backward(be, ptr<T>(dx), ptr<T>(dy), N, C, HW);
      });
    });
  }
  return yv;
}

Var softmax_xent(Tape& t, Var zv, const Tensor& targets) {
  const Tensor z = t.value(zv);
  check_float("softmax_xent", z);
  check_same("softmax_xent", z, targets);
  AGF_CHECK(z.ndim() == 2 && targets.shape() == z.shape(), ShapeError, "softmax_xent: logits ", z.shape().str(),
            " and targets ", targets.shape().str(), " must both be (N,K)");
  const int N = int(z.dim(0)), K = int(z.dim(1));
  Tensor probs = t.arena().alloc(z.shape(), z.dtype());
  Tensor loss = t.arena().alloc(Shape{1}, z.dtype());
  dispatch(t, z, "softmax_xent", [=](auto& be, auto tag) {
    using T = decltype(tag);
    softmax_xent_forward(be, ptr<T>(probs), ptr<T>(loss), ptr<T>(z), ptr<T>(targets), N, K);
  });
  bool need = t.requires_grad(zv);
  Var lv = t.make(loss, need);
  if (need) {
    t.record([&t, zv, lv, probs, targets, N, K] {
      const Tensor dl = t.grad(lv);
      Tensor dz = t.grad(zv);
      dispatch(t, dz, "softmax_xent backward", [=](auto& be, auto tag) {
        using T = decltype(tag);
        softmax_xent_backward(be, ptr<T>(dz), ptr<T>(probs), ptr<T>(targets), N, K, ptr<T>(dl));  // dl read when run
      });
    });
  }
  return lv;
}

Tensor softmax(Tape& t, Var zv) {
  const Tensor z = t.value(zv);
  check_float("softmax", z);
  AGF_CHECK(z.ndim() == 2, ShapeError, "softmax: logits ", z.shape().str(), " must be (N,K)");
  const int N = int(z.dim(0)), K = int(z.dim(1));
  Tensor probs = t.arena().alloc(z.shape(), z.dtype());
  dispatch(t, z, "softmax", [=](auto& be, auto tag) {
    using T = decltype(tag);
    softmax_forward(be, ptr<T>(probs), ptr<T>(z), N, K);
  });
  return probs;
}

double scalar_value(const Tensor& s) {
  AGF_CHECK(s.numel() == 1, ShapeError, "scalar_value: tensor ", s.shape().str(), " is not a scalar");
  if (s.dtype() == DType::F64) {
    double v;
    s.copy_to_host(&v);
    return v;
  }
  float v;
  s.copy_to_host(&v);
  return v;
}

}  // namespace agf
