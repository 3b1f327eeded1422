// Tensor, Shape and Storage (see tensor.h).
#include "engine/tensor.h"
#include <cstring>
#include <sstream>
#include <vector>
#include "engine/device.h"
#include "engine/graph.h"

namespace agf {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::U8: return 1;
  }
  return 0;
}
const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I32: return "I32";
    case DType::U8: return "U8";
  }
  return "?";
}
const char* device_name(Device d) { return d == Device::CPU ? "CPU" : "CUDA"; }
template <> DType dtype_of<float>() { return DType::F32; }
template <> DType dtype_of<double>() { return DType::F64; }
template <> DType dtype_of<int32_t>() { return DType::I32; }
template <> DType dtype_of<uint8_t>() { return DType::U8; }

Shape::Shape(std::initializer_list<int64_t> dims) {
  AGF_CHECK(dims.size() <= 4, ShapeError, "shape has ", dims.size(), " dimensions; at most 4 are supported");
  ndim = int(dims.size());
  int i = 0;
  for (int64_t v : dims) {
    AGF_CHECK(v >= 0, ShapeError, "negative dimension ", v);
    d[i++] = v;
  }
}
int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= d[i];
  return n;
}
bool Shape::operator==(const Shape& o) const {
  if (ndim != o.ndim) return false;
  for (int i = 0; i < ndim; ++i)
    if (d[i] != o.d[i]) return false;
  return true;
}
std::string Shape::str() const {
  std::ostringstream os;
  os << "(";
  for (int i = 0; i < ndim; ++i) os << (i ? ", " : "") << d[i];
  os << ")";
  return os.str();
}

Storage::Storage(Device dev, size_t bytes) : bytes_(bytes), dev_(dev) { data_ = device_alloc(dev, bytes); }
Storage::~Storage() { device_free(dev_, data_); }

Tensor Tensor::empty(Shape s, DType t, Device dev) {
  Tensor r;
  size_t bytes = size_t(s.numel()) * dtype_size(t);
  r.owner_ = std::make_shared<Storage>(dev, bytes == 0 ? 1 : bytes);
  r.ptr_ = r.owner_->data();
  r.shape_ = s;
  r.dtype_ = t;
  r.dev_ = dev;
  return r;
}
Tensor Tensor::zeros(Shape s, DType t, Device dev) {
  Tensor r = empty(s, t, dev);
  r.zero_();
  return r;
}
Tensor Tensor::wrap(void* p, Shape s, DType t, Device dev) {
  Tensor r;
  r.ptr_ = p;
  r.shape_ = s;
  r.dtype_ = t;
  r.dev_ = dev;
  return r;
}
Tensor Tensor::view(Shape s) const {
  AGF_CHECK(s.numel() == numel(), ShapeError, "view: cannot view ", shape_.str(), " as ", s.str());
  Tensor r = *this;
  r.shape_ = s;
  return r;
}
Tensor Tensor::slice0(int64_t begin, int64_t end) const {
  AGF_CHECK(ndim() >= 1 && begin >= 0 && begin <= end && end <= dim(0), ShapeError, "slice0: [", begin, ", ", end,
            ") out of range for ", shape_.str());
  Tensor r = *this;
  int64_t row = dim(0) ? numel() / dim(0) : 0;
  r.ptr_ = static_cast<char*>(ptr_) + size_t(begin * row) * dtype_size(dtype_);
  r.shape_.d[0] = end - begin;
  return r;
}
void Tensor::copy_from(const Tensor& src, CudaCtx* cuda) {
  AGF_CHECK(src.numel() == numel() && src.dtype() == dtype_, ShapeError, "copy_from: destination ", str(),
            " and source ", src.str(), " differ in size or dtype");
  if (bytes()) device_copy(dev_, ptr_, src.dev_, src.ptr_, bytes(), cuda);
}
void Tensor::copy_from_host(const void* src) {
  if (bytes()) host_to_device(dev_, ptr_, src, bytes());
}
void Tensor::copy_to_host(void* dst) const {
  if (bytes()) device_to_host(dst, dev_, ptr_, bytes());
}
Tensor Tensor::to(Device dev) const {
  Tensor r = empty(shape_, dtype_, dev);
  r.copy_from(*this);
  return r;
}
Tensor Tensor::to_dtype(DType t) const {
  AGF_CHECK(dev_ == Device::CPU, DeviceError, "to_dtype: only on the CPU, tensor is ", str());
  if (t == dtype_) return to(Device::CPU);
  Tensor r = empty(shape_, t, Device::CPU);
  int64_t n = numel();
  if (dtype_ == DType::F32 && t == DType::F64)
    for (int64_t i = 0; i < n; ++i) r.data<double>()[i] = data<float>()[i];
  else if (dtype_ == DType::F64 && t == DType::F32)
    for (int64_t i = 0; i < n; ++i) r.data<float>()[i] = float(data<double>()[i]);
  else
    throw DTypeError(agf::str("to_dtype: ", dtype_name(dtype_), " -> ", dtype_name(t), " is not supported"));
  return r;
}
void Tensor::zero_(CudaCtx* cuda) {
  if (bytes()) device_memset_zero(dev_, ptr_, bytes(), cuda);
}
void Tensor::fill_(double v) {
  int64_t n = numel();
  if (dev_ == Device::CPU) {
    AGF_CHECK(dtype_ == DType::F32 || dtype_ == DType::F64, DTypeError, "fill_: unsupported dtype ",
              dtype_name(dtype_));
    void* p = ptr_;
    const bool f32 = dtype_ == DType::F32;
    cpu_exec([p, n, f32, v] {
      if (f32)
        for (int64_t i = 0; i < n; ++i) static_cast<float*>(p)[i] = float(v);
      else
        for (int64_t i = 0; i < n; ++i) static_cast<double*>(p)[i] = v;
    });
    return;
  }
  AGF_CHECK(dtype_ == DType::F32, DTypeError, "fill_: CUDA tensors must be F32, got ", str());
  std::vector<float> host(static_cast<size_t>(n), static_cast<float>(v));
  copy_from_host(host.data());
}
std::string Tensor::str() const { return agf::str(dtype_name(dtype_), " ", device_name(dev_), " ", shape_.str()); }

}  // namespace agf
