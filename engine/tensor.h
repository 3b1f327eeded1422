// Tensor: up to 4-D (NCHW) contiguous array with a dtype and a device. Storage is RAII and shared
// by views; arena- and parameter-buffer tensors are non-owning views into memory owned elsewhere.
// Copies between devices are explicit (copy_from / to); nothing is mirrored behind your back, and the CUDA
// context a copy or memset runs on is an argument, never a hidden "current" one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include "util/error.h"
#include "kernels/cuda_fwd.h"

namespace agf {

enum class DType : uint8_t { F32, F64, I32, U8 };
enum class Device : uint8_t { CPU, CUDA };

size_t dtype_size(DType t);
const char* dtype_name(DType t);
const char* device_name(Device d);
template <typename T> DType dtype_of();

struct Shape {
  int ndim = 0;
  int64_t d[4] = {1, 1, 1, 1};
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  int64_t numel() const;
  int64_t operator[](int i) const { return d[i]; }
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "(64, 1, 128, 43)"
};

// One allocation on one device; frees it on destruction (destructors only log on failure).
class Storage {
 public:
  Storage(Device dev, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return dev_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device dev_;
};

class Tensor {
 public:
  Tensor() = default;
  static Tensor empty(Shape s, DType t, Device dev = Device::CPU);  // owning, uninitialised
  static Tensor zeros(Shape s, DType t, Device dev = Device::CPU);  // owning, zero-filled
  static Tensor wrap(void* p, Shape s, DType t, Device dev);        // non-owning view of memory owned elsewhere

  bool defined() const { return ptr_ != nullptr || shape_.numel() == 0; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_.d[i]; }
  int ndim() const { return shape_.ndim; }
  DType dtype() const { return dtype_; }
  Device device() const { return dev_; }
  int64_t numel() const { return shape_.numel(); }
  size_t bytes() const { return size_t(numel()) * dtype_size(dtype_); }
  void* raw() const { return ptr_; }
  template <typename T> T* data() const {
    AGF_CHECK(dtype_of<T>() == dtype_, DTypeError, "tensor ", shape_.str(), " is ", dtype_name(dtype_),
              ", accessed as ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(ptr_);
  }

  Tensor view(Shape s) const;                       // same memory, new shape (numel must match)
  Tensor slice0(int64_t begin, int64_t end) const;  // rows [begin, end) of the first dimension
  // CUDA work goes on `cuda`'s stream when given (a device copy is then stream-ordered and capturable), else on
  // the default stream, synchronously and never inside a captured step. The CPU ignores `cuda`.
  void copy_from(const Tensor& src, CudaCtx* cuda = nullptr);  // same numel and dtype; any devices
  void copy_from_host(const void* src);                        // numel elements of this dtype from host memory
  void copy_to_host(void* dst) const;                          // numel elements of this dtype into host memory
  Tensor to(Device dev) const;                                 // new owning copy on dev
  Tensor to_dtype(DType t) const;                              // CPU only: F32 <-> F64 conversion, owning copy
  void zero_(CudaCtx* cuda = nullptr);
  void fill_(double v);     // CPU: any float dtype; CUDA: F32 via host copy
  std::string str() const;  // "F32 CPU (64, 16)"

 private:
  std::shared_ptr<Storage> owner_;
  void* ptr_ = nullptr;
  Shape shape_;
  DType dtype_ = DType::F32;
  Device dev_ = Device::CPU;
};

}  // namespace agf
