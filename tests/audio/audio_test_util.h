// Helpers shared by the audio tests: fixture paths, temporary files, a WAV writer (libsndfile).
#pragma once
#include <sndfile.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace agf::test {

inline std::string fixture(const std::string& name) {
  return std::string(AGF_SOURCE_DIR) + "/tests/fixtures/audio/" + name;
}

// A file in one temporary folder per test process (tests/test_util.h), removed at exit.
inline std::string temp_path(const std::string& name) {
  static const testing_util::TempDir dir("audio_test");
  return dir.file(name);
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

}  // namespace agf::test
