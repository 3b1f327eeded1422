// libFuzzer target: agf::decode_file (agf/audio/decode.h: libsndfile's WAV, FLAC, OGG, MP3 readers
// behind agf's checks) on arbitrary bytes, then the channel mean. libsndfile itself is not built
// with coverage instrumentation, so the fuzzer steers by agf's code only (docs/FUZZING.md).
#include <cstddef>
#include <cstdint>

#include "agf/audio/decode.h"
#include "util/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = agf_fuzz::write_scratch("input.audio", data, size);
  try {
    agf::DecodedAudio a = agf::decode_file(path);
    if (a.channels <= 0 || a.samples.size() % static_cast<size_t>(a.channels) != 0) __builtin_trap();
    (void)agf::downmix_mean(a.samples, a.channels);
  } catch (const agf::Error&) {
  }
  return 0;
}
