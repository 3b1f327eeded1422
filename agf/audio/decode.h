// Audio decoding (libsndfile: WAV, FLAC, OGG/Vorbis, MP3 via mpg123) and resampling (libsoxr HQ),
// matching librosa.load(path, sr=target_sr, mono=True): channel mean, then soxr_hq, then fix_length.
#pragma once
#include <string>
#include <vector>

namespace agf {

struct DecodedAudio {
  std::vector<float> samples;  // (frames * channels) interleaved, as libsndfile returns them
  int channels = 0;
  int sample_rate = 0;
  int64_t frames() const { return channels ? int64_t(samples.size()) / channels : 0; }
};

// Decodes a whole file at its own rate; reads until the decoder returns no more frames (MP3 headers
// lie about frame counts). Throws IOError (cannot open) or FormatError (no frames, bad channels/rate,
// non-finite samples), each naming the path.
DecodedAudio decode_file(const std::string& path);

// Channel mean of interleaved samples: (frames) mono.
std::vector<float> downmix_mean(const std::vector<float>& interleaved, int channels);

// libsoxr HQ resampling of a mono signal, output length ceil(n * out_sr / in_sr) as librosa's
// resample(fix=True). Returns a copy when the rates are equal.
std::vector<float> resample(const std::vector<float>& y, int in_sr, int out_sr);

// Mono (channel mean), resampled to target_sr (target_sr <= 0 keeps the file's rate).
std::vector<float> load_audio(const std::string& path, int target_sr);

// True when the linked libsndfile can decode MPEG audio (libsndfile >= 1.1 built with mpg123).
bool sndfile_supports_mp3();
std::string sndfile_version();

}  // namespace agf
