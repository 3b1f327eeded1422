// Helpers shared by the audio tests: fixture paths, temporary files, a WAV writer (libsndfile).
#pragma once
#include <sndfile.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace agf::test {

inline std::string fixture(const std::string& name) {
  return std::string(AGF_SOURCE_DIR) + "/tests/fixtures/audio/" + name;
}

inline std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/agf_audio_test_" + std::to_string(::getpid()) + "_" + name;
}

// Writes interleaved float samples with libsndfile; format e.g. SF_FORMAT_WAV | SF_FORMAT_FLOAT.
inline void write_sound(const std::string& path, const std::vector<float>& x, int channels, int sr,
                        int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT) {
  SF_INFO info{};
  info.channels = channels;
  info.samplerate = sr;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr) << " " << path;
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_FALSE);
  sf_writef_float(f, x.data(), sf_count_t(x.size() / channels));
  sf_close(f);
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace agf::test
