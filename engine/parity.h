// Float32 parity of the ops against the float64 CPU reference, as library code so that `agf gradcheck
// --device cuda`, tests/cuda and the CPU tests share one harness and one tolerance table. Each op runs
// forward and backward on the tape of a side (a device and a dtype) and on the CPU tape in float64, with
// identical inputs, parameters, upstream gradients and starting gradients (the same float32 values, so
// the comparison sees only arithmetic); one row per compared tensor (y, every input's gradient, batch
// norm's running statistics). The harness never looks at the device itself, so its host logic runs on the
// CPU: the CPU's float32 kernels against float64 (tests/engine/parity_test.cpp) and CUDA (tests/cuda).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cuda_fwd.h"

namespace agf {

// Every tolerance, each with its reason. An element passes when
//   |got - ref| <= rtol * |ref| + atol * max|ref|
// (atol is relative to the tensor's largest reference magnitude, so one entry serves activations and
// gradients of any scale; NaN never passes). References are the CPU kernels in float64.
struct ParityTol {
  const char* name;
  double rtol, atol;
  const char* why;
};
inline const ParityTol kParityTols[] = {
    {"conv2d_forward", 1e-4, 2e-5,
     "FP32 (FMA) math; sums of C*R*S <= 2304 terms in cuDNN's order; Winograd/FFT "
     "algorithms add a transform error of a few ulp of the largest term"},
    {"conv2d_backward_data", 1e-4, 2e-5, "FP32 math, sums of K*R*S <= 2304 terms"},
    {"conv2d_backward_filter", 1e-4, 5e-5, "FP32 sums over N*H*W (up to 88k terms) in cuDNN's blocked order"},
    {"batchnorm", 1e-4, 2e-5, "FP32 mean/variance over N*HW values; cuDNN's one-pass (Welford) vs our two-pass"},
    {"batchnorm_backward", 1e-4, 5e-5, "FP32 reductions of dy and dy*xhat over N*HW, then a difference of them"},
    {"elu", 2e-6, 1e-7, "expf vs exp in float64: a few ulp"},
    {"elu_backward", 2e-6, 5e-7,
     "dx0 + dy * (y + alpha) from the side's own y: y's few ulp (cuDNN's ELU) times "
     "|dy| <= 1, plus two float32 roundings"},
    {"dense", 1e-4, 2e-5, "cuBLAS FP32 GEMM, sums of up to 1024 terms in a blocked order"},
    {"gap", 1e-5, 1e-6, "sums of HW <= 5504 floats, warp-strided order"},
    {"softmax_xent", 1e-5, 1e-6, "expf/logf, sums over K <= 64 and a batch mean over N <= 256 in float32"},
    {"adam", 1e-5, 1e-7, "float32 update, sqrtf and division correctly rounded; reference in float64"},
    {"tf32", 5e-3, 2e-3, "TF32 tensor cores round inputs to a 10-bit mantissa (2^-11 relative per product)"},
    {"exact", 0.0, 0.0, "no arithmetic freedom: copies, max, masks, scaling by one rounded factor"},
    {"elementwise", 1e-6, 2e-7,
     "one or two rounded float32 operations per element (a*b+c may fuse into an FMA); "
     "atol covers cancellation in dx0 + dy*f"},
};
const ParityTol& parity_tol(const std::string& name);  // Error for a name not in the table

// One compared tensor.
struct ParityRow {
  std::string op, tensor, tol;           // tol: the kParityTols entry
  int64_t elements = 0, outside = 0;     // compared, and outside the tolerance
  double max_rel = 0, max_abs = 0;       // max_rel as gradcheck.h's max_rel_err (floor 1e-3 max|ref|)
  double rtol = 0, atol = 0, scale = 0;  // scale: max|ref|
  bool pass = true;
  int64_t worst = -1;            // flat index of the element furthest outside (or nearest to) its allowance
  double got = 0, ref = 0;       // at that element
  std::string describe() const;  // "dense dw[17]: got 0.125 ref 0.124, |diff| 1e-03 > allowed 2e-05 (...)"
};

// The comparison (tests/cuda's close() is this too); ShapeError when the sizes differ.
ParityRow parity_compare(const std::string& op, const std::string& tensor, const std::string& tol,
                         const std::vector<double>& got, const std::vector<double>& ref);

// Where and in what precision the compared side runs; the reference is always the CPU in float64.
struct ParitySide {
  Device device = Device::CPU;
  DType dtype = DType::F32;
  CudaCtx* cuda = nullptr;  // required for Device::CUDA (made current for the run)
};

// One result of a case on one side, as host doubles: "y", then "d<input>", then state the op updates.
struct ParityTensor {
  std::string name, tol;
  std::vector<double> values;
};
// Sees (and may change) the side's results of a case before they are compared: the tests' fault injection.
using ParityHook = std::function<void(const std::string& op, std::vector<ParityTensor>& got)>;

// The ops of gradcheck_op_names(), each as one or more cases (conv2d 5x5/3x3/1x1, dense at two shapes,
// batch norm in training mode (N,C,H,W) and (N,C), max-pool 2x1 and 2x2 on tie-free inputs, ELU, GAP,
// dropout at an unaligned stream offset (both sides draw the same Philox mask), softmax cross-entropy with
// soft targets). UsageError for an unknown op.
std::vector<ParityRow> parity_op(const std::string& name, const ParitySide& side, const ParityHook& hook = {});

// `--device cuda`: every op of `ops` on a CUDA context of device 0 (deterministic algorithms, TF32 off: the
// table's float32 tolerances). DeviceError when this agf was built without CUDA or no device is visible,
// never a CPU run in its place. `device`, when given, receives "CUDA device 0: <name>".
std::vector<ParityRow> parity_cuda(const std::vector<std::string>& ops, std::string* device = nullptr);

}  // namespace agf
