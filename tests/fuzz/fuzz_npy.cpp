// libFuzzer target: agf::read_npy (util/npy.h) on arbitrary bytes, then the conversions.
// Bad input must end in an agf::Error; anything else (a sanitizer report, std::bad_alloc, another
// exception type) is a finding.
#include <cstddef>
#include <cstdint>

#include "util/error.h"
#include "util/npy.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = agf_fuzz::write_scratch("input.npy", data, size);
  try {
    agf::NpyArray a = agf::read_npy(path);
    // A valid header promises numel * itemsize bytes; the conversions read exactly that many.
    if (a.bytes.size() != static_cast<size_t>(a.numel()) * a.itemsize()) __builtin_trap();
    (void)a.as_float();
    (void)a.as_double();
  } catch (const agf::Error&) {
  }
  return 0;
}
