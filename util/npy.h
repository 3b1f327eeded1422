// NumPy .npy files, format version 1.0 (and reading 2.0/3.0 headers), C order, little-endian:
// "\x93NUMPY" v1 v0, u16 header length, a Python dict literal {'descr','fortran_order','shape'},
// space-padded with '\n' so the data starts at a multiple of 64 (numpy's lib/format.py).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace agf {

// Writes an array atomically (util/fs.h). IOError when it cannot be written.
void write_npy(const std::string& path, const float* data, const std::vector<int64_t>& shape);    // '<f4'
void write_npy(const std::string& path, const double* data, const std::vector<int64_t>& shape);   // '<f8'
void write_npy(const std::string& path, const int64_t* data, const std::vector<int64_t>& shape);  // '<i8'
void write_npy(const std::string& path, const int32_t* data, const std::vector<int64_t>& shape);  // '<i4'
void write_npy(const std::string& path, const uint8_t* data, const std::vector<int64_t>& shape);  // '|u1'

struct NpyArray {
  std::string dtype;           // "f4", "f8", "i8", "i4" or "u1" (little-endian or byte order free)
  std::vector<int64_t> shape;  // [] is a scalar
  std::vector<unsigned char> bytes;

  int64_t numel() const;
  size_t itemsize() const;
  // The values converted to float or double (from f4/f8/i8/i4/u1). DTypeError for nothing else.
  std::vector<float> as_float() const;
  std::vector<double> as_double() const;
  template <typename T> std::vector<T> as() const;
};
template <> inline std::vector<float> NpyArray::as<float>() const { return as_float(); }
template <> inline std::vector<double> NpyArray::as<double>() const { return as_double(); }

// Reads and validates: magic, version, header dict, known dtype, C order, little-endian, and that
// the file holds exactly numel * itemsize data bytes. IOError (cannot open) or FormatError (naming
// the file and what is wrong).
NpyArray read_npy(const std::string& path);

}  // namespace agf
