// Inputs found by the libFuzzer targets (tests/fuzz, docs/FUZZING.md), fed to the same entry point:
// each must end in a clean agf error or a sane result. libFuzzer caught them as out-of-memory
// (-rss_limit_mb=2048 also caps single allocations), so this binary caps them too while a case runs.
#include <cstdlib>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "agf/audio/decode.h"
#include "util/error.h"
#include "tests/audio/audio_test_util.h"

// A replaceable global operator new that refuses any one allocation above a cap while a
// AllocationCap is alive on this thread (as libFuzzer's malloc limit does); otherwise the default.
namespace {
thread_local size_t g_alloc_cap = 0;
void* capped_new(size_t n) {
  if (g_alloc_cap && n > g_alloc_cap) throw std::bad_alloc();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
struct AllocationCap {
  explicit AllocationCap(size_t bytes) { g_alloc_cap = bytes; }
  ~AllocationCap() { g_alloc_cap = 0; }
};
}  // namespace
void* operator new(size_t n) { return capped_new(n); }
void* operator new[](size_t n) { return capped_new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace agf {
namespace {

// fuzz_decode: a 373-byte FLAC whose STREAMINFO claims about 3.4e9 frames made decode_file reserve
// 13 GB from the header alone. The header's count is now believed only up to 64 samples per file
// byte. Under a 1 GiB cap the old code threw std::bad_alloc (not an agf::Error: this test failed).
TEST(FuzzRegressionTest, FlacClaimingHugeFrameCountReservesLittle) {
  AllocationCap cap(size_t(1) << 30);
  try {
    DecodedAudio a = decode_file(test::fixture("fuzz/flac_claims_2g_frames.flac"));
    EXPECT_LT(a.samples.capacity(), size_t(1) << 22) << a.samples.size() << " samples decoded";
  } catch (const Error& e) {
    SUCCEED() << e.what();
  }
}

}  // namespace
}  // namespace agf
