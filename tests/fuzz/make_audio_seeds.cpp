// Writes the decode target's small seed files (tests/fuzz/corpus/decode/): a short tone as 16-bit
// mono WAV, float stereo WAV, FLAC and MP3 (libsndfile). Run once; the outputs are committed.
// Build: g++ -O1 make_audio_seeds.cpp -lsndfile -o /tmp/make_audio_seeds && /tmp/make_audio_seeds DIR
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

static int write(const std::string& path, int format, int channels, int frames) {
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), sf_strerror(nullptr));
    return 1;
  }
  std::vector<float> x(size_t(frames) * channels);
  for (int i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c) x[size_t(i) * channels + c] = 0.5f * std::sin(0.3f * i * (c + 1));
  sf_writef_float(f, x.data(), frames);
  sf_close(f);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_audio_seeds DIR\n");
    return 2;
  }
  const std::string d = argv[1];
  int bad = 0;
  bad |= write(d + "/mono16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 200);
  bad |= write(d + "/stereo_float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 100);
  bad |= write(d + "/mono16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1, 400);
  bad |= write(d + "/mono.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 1, 1152);
  return bad;
}
