// Minimal .npy (format 1.0) reader and writer for little-endian float32 C-order arrays: enough for
// the audio commands' outputs and the librosa golden fixtures. Reference: numpy/lib/format.py.
#pragma once
#include <string>
#include <vector>

namespace agf {

struct NpyF32 {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Throws IOError / FormatError naming the path (wrong dtype, Fortran order, truncated data).
NpyF32 read_npy_f32(const std::string& path);
// Writes atomically (temporary file, then rename).
void write_npy_f32(const std::string& path, const float* data, const std::vector<int64_t>& shape);

}  // namespace agf
