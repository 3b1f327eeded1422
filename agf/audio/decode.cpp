// Decoding with libsndfile and resampling with libsoxr; see decode.h. librosa.load reads float32
// through libsndfile (soundfile), averages channels, then calls soxr.resample(quality="HQ") and
// fixes the length to ceil(n * ratio).
#include "agf/audio/decode.h"

#include <sndfile.h>
#include <soxr.h>

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>

#include "util/error.h"

namespace agf {

namespace {
struct SndCloser {
  void operator()(SNDFILE* f) const {
    if (f) sf_close(f);
  }
};
}  // namespace

DecodedAudio decode_file(const std::string& path) {
  SF_INFO info;
  std::memset(&info, 0, sizeof(info));
  std::unique_ptr<SNDFILE, SndCloser> f(sf_open(path.c_str(), SFM_READ, &info));
  if (!f) {
    FILE* probe = std::fopen(path.c_str(), "rb");
    if (!probe) throw IOError(str("decode: cannot open '", path, "': ", std::strerror(errno)));
    std::fclose(probe);
    throw FormatError(
        str("decode: '", path, "' is not a readable audio file (libsndfile: ", sf_strerror(nullptr), ")"));
  }
  AGF_CHECK(info.channels > 0 && info.channels <= 1024, FormatError, "decode: '", path, "' has ", info.channels,
            " channels");
  AGF_CHECK(info.samplerate > 0 && info.samplerate <= 1536000, FormatError, "decode: '", path, "' has sample rate ",
            info.samplerate);
  DecodedAudio out;
  out.channels = info.channels;
  out.sample_rate = info.samplerate;
  // Read in blocks until the decoder stops: do not trust info.frames (MP3, truncated files).
  // Decoded straight into the output (no staging copy). Blocks start at 4 Ki samples and double up
  // to 128 Ki samples whatever the channel count (a short file does not zero-fill 512 KB), and the
  // header's frame count is only a reservation hint, believed up to
  // kMaxSamplesPerByte samples per byte of file: a 373-byte FLAC whose header claims 3.4e9 frames
  // must not reserve 13 GB (found by tests/fuzz/fuzz_decode). Real files stay far below the bound
  // (16-bit PCM: 0.5 sample/byte; an 8 kb/s MP3: about 8); past it the vector simply grows.
  constexpr uint64_t kMaxSamplesPerByte = 64;
  const sf_count_t max_block = std::max<sf_count_t>(64, 131072 / info.channels);
  sf_count_t block = std::max<sf_count_t>(1, 4096 / info.channels);
  std::error_code size_err;
  const uint64_t file_bytes = std::filesystem::file_size(path, size_err);
  if (info.frames > 0 && !size_err &&
      uint64_t(info.frames) <= file_bytes / uint64_t(info.channels) * kMaxSamplesPerByte)
    out.samples.reserve(size_t(info.frames + max_block) * info.channels);
  size_t used = 0;
  for (;;) {
    out.samples.resize(used + size_t(block) * info.channels);
    sf_count_t got = sf_readf_float(f.get(), out.samples.data() + used, block);
    if (got <= 0) break;
    used += size_t(got) * info.channels;
    block = std::min(max_block, 2 * block);
  }
  out.samples.resize(used);
  int err = sf_error(f.get());
  if (err != SF_ERR_NO_ERROR && out.samples.empty())
    throw FormatError(str("decode: '", path, "': ", sf_error_number(err)));
  AGF_CHECK(!out.samples.empty(), FormatError, "decode: '", path, "' contains no audio frames");
  // Non-finite samples: an all-ones exponent is NaN or Inf. An integer OR-reduction vectorises; the
  // position is searched only when there is one.
  uint32_t bad = 0;
  const uint32_t* bits = reinterpret_cast<const uint32_t*>(out.samples.data());
  for (size_t i = 0; i < used; ++i) bad |= uint32_t((bits[i] & 0x7f800000u) == 0x7f800000u);
  if (bad)
    for (size_t i = 0; i < used; ++i)
      AGF_CHECK(std::isfinite(out.samples[i]), FormatError, "decode: '", path,
                "' contains a non-finite sample (NaN/Inf) at frame ", i / info.channels);
  return out;
}

std::vector<float> downmix_mean(const std::vector<float>& x, int channels) {
  AGF_CHECK(channels > 0 && x.size() % size_t(channels) == 0, ShapeError, "downmix_mean: ", x.size(),
            " samples not divisible by ", channels, " channels");
  if (channels == 1) return x;
  const size_t n = x.size() / channels;
  std::vector<float> y(n);
  for (size_t i = 0; i < n; ++i) {
    // numpy's mean over axis 0 of a (channels, n) float32 array: float32 sum, then divide.
    float s = 0.f;
    for (int c = 0; c < channels; ++c) s += x[i * channels + c];
    y[i] = s / float(channels);
  }
  return y;
}

std::vector<float> resample(const std::vector<float>& y, int in_sr, int out_sr) {
  AGF_CHECK(in_sr > 0 && out_sr > 0, UsageError, "resample: rates ", in_sr, " -> ", out_sr);
  if (in_sr == out_sr || y.empty()) return y;
  const double ratio = double(out_sr) / double(in_sr);
  const size_t n_out = size_t(std::ceil(double(y.size()) * ratio));
  // Streaming soxr (as python-soxr's resample does; soxr_oneshot is slow on long inputs): feed
  // one-second chunks, drain, flush. soxr's own output length is about n*ratio; the result is then
  // fixed to ceil(n*ratio) as librosa.util.fix_length does.
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  soxr_runtime_spec_t rt = soxr_runtime_spec(1);
  soxr_error_t e = nullptr;
  soxr_t s = soxr_create(double(in_sr), double(out_sr), 1, &e, &io, &q, &rt);
  AGF_CHECK(e == nullptr && s != nullptr, Error, "resample: soxr_create failed (", in_sr, " -> ", out_sr, "): ", e);
  std::vector<float> out;
  out.reserve(n_out + 64);
  const size_t chunk = size_t(in_sr);
  std::vector<float> obuf(size_t(std::ceil(double(chunk) * ratio)) + 1024);
  size_t pos = 0;
  for (;;) {
    const bool last = pos >= y.size();
    const size_t ilen = last ? 0 : std::min(chunk, y.size() - pos);
    size_t idone = 0, odone = 0;
    e = soxr_process(s, last ? nullptr : y.data() + pos, ilen, &idone, obuf.data(), obuf.size(), &odone);
    if (e) break;
    out.insert(out.end(), obuf.begin(), obuf.begin() + odone);
    pos += idone;
    if (last && odone == 0) break;
  }
  soxr_delete(s);
  AGF_CHECK(e == nullptr, Error, "resample: soxr failed (", in_sr, " -> ", out_sr, "): ", e);
  out.resize(n_out);  // zero-pads (already zeros) or truncates, as librosa.util.fix_length
  return out;
}

std::vector<float> load_audio(const std::string& path, int target_sr) {
  DecodedAudio d = decode_file(path);
  std::vector<float> mono = d.channels == 1 ? std::move(d.samples) : downmix_mean(d.samples, d.channels);
  d.samples.clear();
  d.samples.shrink_to_fit();
  if (target_sr <= 0 || target_sr == d.sample_rate) return mono;
  return resample(mono, d.sample_rate, target_sr);
}

bool sndfile_supports_mp3() {
  // Needs libsndfile >= 1.1 headers (SF_FORMAT_MPEG_*). libsndfile lists MPEG among its subtypes (not its major formats) when built with mpg123/LAME.
  int count = 0;
  sf_command(nullptr, SFC_GET_FORMAT_SUBTYPE_COUNT, &count, sizeof(int));
  for (int i = 0; i < count; ++i) {
    SF_FORMAT_INFO fi;
    fi.format = i;
    sf_command(nullptr, SFC_GET_FORMAT_SUBTYPE, &fi, sizeof(fi));
    if ((fi.format & SF_FORMAT_SUBMASK) == SF_FORMAT_MPEG_LAYER_III) return true;
  }
  return false;
}

std::string sndfile_version() { return sf_version_string(); }

}  // namespace agf
