// libFuzzer target: agf::SafetensorsFile::open (engine/safetensors.h) on arbitrary bytes, then every
// tensor view is read end to end (so a view that points past the mapping is an ASan report).
#include <cstddef>
#include <cstdint>

#include "util/error.h"
#include "engine/safetensors.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = agf_fuzz::write_scratch("input.safetensors", data, size);
  try {
    agf::SafetensorsFile f = agf::SafetensorsFile::open(path);
    unsigned sum = 0;
    for (const std::string& name : f.names()) {
      agf::StView v = f.get(name);
      const auto* p = static_cast<const unsigned char*>(v.data);
      for (size_t i = 0; i < v.nbytes; ++i) sum += p[i];
    }
    for (const auto& kv : f.metadata()) sum += static_cast<unsigned>(kv.first.size() + kv.second.size());
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const agf::Error&) {
  }
  return 0;
}
