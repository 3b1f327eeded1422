// .npy reader and writer (see npy.h). The header dict is parsed by a small strict parser that
// accepts what numpy writes: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
#include "util/npy.h"

#include <cctype>
#include <cstring>
#include <limits>

#include "util/error.h"
#include "util/fs.h"

namespace agf {
namespace {

const char kMagic[] = "\x93NUMPY";

size_t dtype_size(const std::string& d) {
  if (d == "f4" || d == "i4") return 4;
  if (d == "f8" || d == "i8") return 8;
  if (d == "u1") return 1;
  return 0;
}

std::string shape_tuple(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
  return s + ")";
}

void write_any(const std::string& path, const void* data, size_t itemsize, const char* descr,
               const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    AGF_CHECK(d >= 0, UsageError, "write_npy ", path, ": negative dimension in shape ", shape_tuple(shape));
    n *= static_cast<uint64_t>(d);
  }
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
  // magic(6) + version(2) + len(2) + dict + padding + '\n' must be a multiple of 64.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  AGF_CHECK(dict.size() <= 65535, UsageError, "write_npy ", path, ": header too long for format 1.0");
  std::string head(kMagic, 6);
  head += '\x01';
  head += '\x00';
  head += static_cast<char>(dict.size() & 0xff);
  head += static_cast<char>(dict.size() >> 8);
  head += dict;
  const size_t nbytes = static_cast<size_t>(n) * itemsize;
  write_file_atomic(path, [&](std::FILE* f) {
    write_all(f, head.data(), head.size(), path);
    write_all(f, data, nbytes, path);
  });
}

// A tiny cursor over the header dict.
struct Cursor {
  const std::string& s;
  size_t i = 0;
  const std::string& path;
  void ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(str("npy ", path, ": bad header (", what, ") in ", s));
  }
  void expect(char c) {
    ws();
    if (i >= s.size() || s[i] != c) fail(std::string("expected '") + c + "'");
    ++i;
  }
  bool peek(char c) {
    ws();
    return i < s.size() && s[i] == c;
  }
  std::string quoted() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) fail("expected a quoted string");
    char q = s[i++];
    size_t start = i;
    while (i < s.size() && s[i] != q) ++i;
    if (i >= s.size()) fail("unterminated string");
    return s.substr(start, i++ - start);
  }
  std::string word() {
    ws();
    size_t start = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(start, i - start);
  }
  int64_t integer() {
    ws();
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (start == i) fail("expected a non-negative integer");
    if (i - start > 18) fail("dimension too large");
    int64_t v = std::stoll(s.substr(start, i - start));
    if (i < s.size() && s[i] == 'L') ++i;  // Python 2 longs
    return v;
  }
};

}  // namespace

void write_npy(const std::string& p, const float* d, const std::vector<int64_t>& s) { write_any(p, d, 4, "<f4", s); }
void write_npy(const std::string& p, const double* d, const std::vector<int64_t>& s) { write_any(p, d, 8, "<f8", s); }
void write_npy(const std::string& p, const int64_t* d, const std::vector<int64_t>& s) { write_any(p, d, 8, "<i8", s); }
void write_npy(const std::string& p, const int32_t* d, const std::vector<int64_t>& s) { write_any(p, d, 4, "<i4", s); }
void write_npy(const std::string& p, const uint8_t* d, const std::vector<int64_t>& s) { write_any(p, d, 1, "|u1", s); }

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t NpyArray::itemsize() const { return dtype_size(dtype); }

template <typename Out> static std::vector<Out> convert(const NpyArray& a) {
  const size_t n = static_cast<size_t>(a.numel());
  std::vector<Out> out(n);
  const unsigned char* p = a.bytes.data();
  for (size_t k = 0; k < n; ++k) {
    if (a.dtype == "f4") {
      float v;
      std::memcpy(&v, p + 4 * k, 4);
      out[k] = static_cast<Out>(v);
    } else if (a.dtype == "f8") {
      double v;
      std::memcpy(&v, p + 8 * k, 8);
      out[k] = static_cast<Out>(v);
    } else if (a.dtype == "i8") {
      int64_t v;
      std::memcpy(&v, p + 8 * k, 8);
      out[k] = static_cast<Out>(v);
    } else if (a.dtype == "i4") {
      int32_t v;
      std::memcpy(&v, p + 4 * k, 4);
      out[k] = static_cast<Out>(v);
    } else if (a.dtype == "u1") {
      out[k] = static_cast<Out>(p[k]);
    } else
      throw DTypeError(str("npy: cannot convert dtype '", a.dtype, "'"));
  }
  return out;
}

std::vector<float> NpyArray::as_float() const { return convert<float>(*this); }
std::vector<double> NpyArray::as_double() const { return convert<double>(*this); }

NpyArray read_npy(const std::string& path) {
  const std::string b = read_file_bytes(path);
  AGF_CHECK(b.size() >= 10 && b.compare(0, 6, kMagic, 6) == 0, FormatError, "npy ", path,
            ": not a .npy file (missing the \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(b[6]);
  size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | (static_cast<size_t>(static_cast<unsigned char>(b[9])) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    AGF_CHECK(b.size() >= 12, FormatError, "npy ", path, ": truncated header");
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(b[8 + i])) << (8 * i);
    hstart = 12;
  } else {
    throw FormatError(
        str("npy ", path, ": unsupported format version ", major, ".", int(static_cast<unsigned char>(b[7]))));
  }
  AGF_CHECK(hlen <= b.size() - hstart, FormatError, "npy ", path, ": header length ", hlen,
            " runs past the end of the ", b.size(), "-byte file");
  const std::string dict = b.substr(hstart, hlen);

  Cursor c{dict, 0, path};
  NpyArray a;
  std::string descr;
  bool have_descr = false, have_order = false, have_shape = false, fortran = false;
  c.expect('{');
  while (!c.peek('}')) {
    std::string key = c.quoted();
    c.expect(':');
    if (key == "descr") {
      descr = c.quoted();
      have_descr = true;
    } else if (key == "fortran_order") {
      std::string w = c.word();
      if (w != "True" && w != "False") c.fail("fortran_order must be True or False");
      fortran = (w == "True");
      have_order = true;
    } else if (key == "shape") {
      c.expect('(');
      while (!c.peek(')')) {
        a.shape.push_back(c.integer());
        if (!c.peek(')')) c.expect(',');
      }
      c.expect(')');
      have_shape = true;
    } else {
      c.fail("unknown key '" + key + "'");
    }
    if (!c.peek('}')) c.expect(',');
  }
  c.expect('}');
  AGF_CHECK(have_descr && have_order && have_shape, FormatError, "npy ", path,
            ": header lacks one of descr, fortran_order, shape: ", dict);
  AGF_CHECK(!fortran, FormatError, "npy ", path, ": Fortran-order arrays are not supported (save with C order)");
  AGF_CHECK(descr.size() >= 2, FormatError, "npy ", path, ": bad dtype descr '", descr, "'");
  const char order = descr[0];
  a.dtype = descr.substr(1);
  AGF_CHECK(dtype_size(a.dtype) != 0, FormatError, "npy ", path, ": unsupported dtype '", descr,
            "' (supported: f4, f8, i8, i4, u1)");
  AGF_CHECK(order != '>' || a.dtype == "u1", FormatError, "npy ", path, ": big-endian dtype '", descr,
            "' is not supported");
  AGF_CHECK(order == '<' || order == '|' || order == '=', FormatError, "npy ", path, ": bad byte order in '", descr,
            "'");

  uint64_t n = 1;
  for (int64_t d : a.shape) {
    AGF_CHECK(d == 0 || n <= std::numeric_limits<uint64_t>::max() / 8 / static_cast<uint64_t>(d), FormatError, "npy ",
              path, ": shape overflows");
    n *= static_cast<uint64_t>(d);
  }
  const uint64_t want = n * a.itemsize();
  const uint64_t have = b.size() - hstart - hlen;
  AGF_CHECK(have == want, FormatError, "npy ", path, ": shape ", shape_tuple(a.shape), " of ", descr, " needs ", want,
            " data bytes but the file holds ", have);
  a.bytes.assign(b.begin() + static_cast<std::ptrdiff_t>(hstart + hlen), b.end());
  return a;
}

}  // namespace agf
