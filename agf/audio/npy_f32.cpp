// .npy float32 reader/writer; see npy_f32.h.
#include "agf/audio/npy_f32.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agf/util/error.h"

namespace agf {

NpyF32 read_npy_f32(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  AGF_CHECK(f.good(), IOError, "npy: cannot open '", path, "'");
  char magic[8];
  f.read(magic, 8);
  AGF_CHECK(f.gcount() == 8 && std::memcmp(magic, "\x93NUMPY", 6) == 0, FormatError, "npy: '", path,
            "' is not a .npy file");
  uint32_t hlen = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    f.read(reinterpret_cast<char*>(b), 2);
    hlen = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    f.read(reinterpret_cast<char*>(b), 4);
    hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  }
  std::string header(hlen, '\0');
  f.read(&header[0], hlen);
  AGF_CHECK(f.good(), FormatError, "npy: '", path, "' has a truncated header");
  AGF_CHECK(header.find("'descr': '<f4'") != std::string::npos, FormatError, "npy: '", path,
            "' is not little-endian float32: ", header);
  AGF_CHECK(header.find("'fortran_order': False") != std::string::npos, FormatError, "npy: '", path,
            "' is Fortran-ordered");
  NpyF32 out;
  size_t lp = header.find("'shape': (");
  AGF_CHECK(lp != std::string::npos, FormatError, "npy: '", path, "' header has no shape");
  size_t rp = header.find(')', lp);
  std::string dims = header.substr(lp + 10, rp - lp - 10);
  std::stringstream ss(dims);
  std::string tok;
  int64_t count = 1;
  while (std::getline(ss, tok, ',')) {
    if (tok.find_first_not_of(" ") == std::string::npos) continue;
    out.shape.push_back(std::stoll(tok));
    count *= out.shape.back();
  }
  out.data.resize(size_t(count));
  f.read(reinterpret_cast<char*>(out.data.data()), std::streamsize(count * 4));
  AGF_CHECK(f.gcount() == std::streamsize(count * 4), FormatError, "npy: '", path,
            "' is truncated: expected ", count, " floats");
  return out;
}

void write_npy_f32(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  std::string dims;
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
    count *= shape[i];
  }
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    AGF_CHECK(f.good(), IOError, "npy: cannot write '", tmp, "'");
    f.write("\x93NUMPY\x01\x00", 8);
    unsigned char hl[2] = {static_cast<unsigned char>(header.size() & 0xff),
                           static_cast<unsigned char>(header.size() >> 8)};
    f.write(reinterpret_cast<const char*>(hl), 2);
    f.write(header.data(), std::streamsize(header.size()));
    f.write(reinterpret_cast<const char*>(data), std::streamsize(count * 4));
    AGF_CHECK(f.good(), IOError, "npy: write failed for '", tmp, "'");
  }
  AGF_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, IOError, "npy: cannot rename '", tmp,
            "' to '", path, "'");
}

}  // namespace agf
