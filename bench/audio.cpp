// Audio front end throughput on one core: decoding (WAV/FLAC/MP3, x realtime), soxr HQ resampling
// 44.1 -> 22.05 kHz, and the CPU mel at the paper's settings (frames/s, x realtime), on 30 s of a
// music-like signal written at start-up. bench/peers/audio_librosa.py times librosa on the same work;
// bench/results/cpu_audio.md holds both, measured side by side.
//   OMP_NUM_THREADS=1 build/<dir>/bench_audio --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "agf/audio/decode.h"
#include "agf/audio/descriptors.h"
#include "agf/audio/mel.h"
#include "agf/audio/mfcc.h"

namespace {

constexpr double kSeconds = 30.0;

std::vector<float> music(int sr) {
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.f, 0.02f);
  std::vector<float> y(size_t(kSeconds * sr));
  for (size_t i = 0; i < y.size(); ++i) {
    const double t = double(i) / sr;
    double v = 0;
    for (int h = 1; h <= 5; ++h) v += 0.1 / h * std::sin(2 * M_PI * 220.0 * h * t) * std::exp(-std::fmod(t, 0.5) * 3);
    y[i] = float(v) + g(rng);
  }
  return y;
}

std::string write_file(const char* ext, int format, int sr) {
  const std::string path = "/tmp/agf_bench_audio_" + std::to_string(getpid()) + "." + ext;
  std::vector<float> y = music(sr);
  SF_INFO info{};
  info.channels = 1;
  info.samplerate = sr;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) return "";
  sf_writef_float(f, y.data(), sf_count_t(y.size()));
  sf_close(f);
  return path;
}

void BM_decode(benchmark::State& st, const char* ext, int format) {
  const std::string path = write_file(ext, format, 44100);
  if (path.empty()) {
    st.SkipWithError("this libsndfile cannot write the format");
    return;
  }
  for (auto _ : st) benchmark::DoNotOptimize(agf::load_audio(path, 0));
  st.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
  std::remove(path.c_str());
}
BENCHMARK_CAPTURE(BM_decode, wav16, "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_decode, flac, "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_decode, mp3, "mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)->Unit(benchmark::kMillisecond);

void BM_resample_44k_22k(benchmark::State& st) {
  std::vector<float> y = music(44100);
  for (auto _ : st) benchmark::DoNotOptimize(agf::resample(y, 44100, 22050));
  st.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_resample_44k_22k)->Unit(benchmark::kMillisecond);

void BM_mel_paper(benchmark::State& st) {
  std::vector<float> y = music(22050);
  agf::MelParams p;
  int frames = 0;
  for (auto _ : st) benchmark::DoNotOptimize(agf::mel_spectrogram(y, p, &frames));
  st.counters["frames_per_s"] = benchmark::Counter(frames, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_mel_paper)->Unit(benchmark::kMillisecond);

void BM_mfcc_agf(benchmark::State& st) {
  std::vector<float> y = music(22050);
  int frames = 0;
  for (auto _ : st) benchmark::DoNotOptimize(agf::mfcc(y, agf::MfccParams{}, &frames));
  st.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_mfcc_agf)->Unit(benchmark::kMillisecond);

void BM_descriptors_44k(benchmark::State& st) {
  std::vector<float> y = music(44100);
  for (auto _ : st) benchmark::DoNotOptimize(agf::song_descriptors(y, 44100));
  st.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_descriptors_44k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
