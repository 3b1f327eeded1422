// Typed exceptions for the whole project. Library code throws these and never calls exit();
// the CLI catches agf::Error, prints what(), and exits non-zero.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace agf {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ShapeError : Error {
  using Error::Error;
};  // wrong shape for an op
struct DTypeError : Error {
  using Error::Error;
};  // wrong or unsupported dtype
struct DeviceError : Error {
  using Error::Error;
};  // wrong device, no device, CUDA failures
struct IOError : Error {
  using Error::Error;
};  // a file cannot be read or written
struct FormatError : Error {
  using Error::Error;
};  // a file's contents are malformed
struct UsageError : Error {
  using Error::Error;
};  // bad flag or argument value
struct NumericError : Error {
  using Error::Error;
};  // NaN / Inf where finite values are required

namespace detail {
inline void cat(std::ostringstream&) {}
template <typename T, typename... R> void cat(std::ostringstream& os, const T& v, const R&... r) {
  os << v;
  cat(os, r...);
}
}  // namespace detail

// str("conv2d: x ", 3, " channels") -> "conv2d: x 3 channels"
template <typename... A> std::string str(const A&... a) {
  std::ostringstream os;
  detail::cat(os, a...);
  return os.str();
}

}  // namespace agf

// AGF_CHECK(cond, ErrorType, message parts...): throws ErrorType(message) when cond is false.
#define AGF_CHECK(cond, Type, ...)                    \
  do {                                                \
    if (!(cond)) throw Type(::agf::str(__VA_ARGS__)); \
  } while (0)
