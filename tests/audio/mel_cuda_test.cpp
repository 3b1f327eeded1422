// CUDA mel parity: the batched GPU path (cuFFT + fused kernels) against the CPU path, which is
// itself golden-tested against librosa. Skipped without a CUDA build or device.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "agf/audio/mel.h"
#include "agf/audio/mel_gpu.h"
#include "util/error.h"

namespace agf {
namespace {

TEST(MelCuda, MatchesCpuOnABatchOfTracks) {
#ifndef AGF_HAVE_CUDA
  EXPECT_THROW(mel_frames_batch_gpu({}, MelParams{}), DeviceError);
  GTEST_SKIP() << "built without CUDA";
#else
  if (!mel_gpu_available()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.f, 0.1f);
  // Odd lengths, one shorter than n_fft, one silent stretch, one long enough for several frames.
  std::vector<std::vector<float> > ys;
  for (size_t n : {size_t(300), size_t(22050), size_t(22050 * 3 + 17), size_t(5000)}) {
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = 0.3f * std::sin(0.05f * i) + g(rng);
    ys.push_back(y);
  }
  std::fill(ys[3].begin(), ys[3].end(), 0.f);
  MelParams dbp, lin, pw;
  lin.to_db = false;
  pw.power = 2.0;
  pw.amin = 1e-10;
  pw.n_fft = 2048;
  pw.hop_length = 1024;
  pw.n_mels = 40;
  pw.fmax = 11025;
  for (const MelParams& p : {dbp, lin, pw}) {
    std::vector<const std::vector<float>*> ptrs;
    for (auto& y : ys) ptrs.push_back(&y);
    std::vector<std::vector<float> > gpu = mel_frames_batch_gpu(ptrs, p);
    ASSERT_EQ(gpu.size(), ys.size());
    for (size_t k = 0; k < ys.size(); ++k) {
      std::vector<float> cpu;
      mel_spectrogram_frames(ys[k].data(), int64_t(ys[k].size()), p, &cpu);
      ASSERT_EQ(gpu[k].size(), cpu.size()) << "track " << k;
      float mx = 0;
      for (float v : cpu) mx = std::max(mx, std::fabs(v));
      for (size_t i = 0; i < cpu.size(); ++i) {
        // dB: 0.01 dB (the librosa tolerance); linear: 1e-4 relative plus 1e-6 of the maximum
        // (cuFFT and FFTW round differently).
        const double tol = p.to_db ? 0.01 : 1e-4 * std::fabs(cpu[i]) + 1e-6 * mx;
        ASSERT_NEAR(gpu[k][i], cpu[i], tol) << "track " << k << " value " << i;
      }
    }
  }
#endif
}

}  // namespace
}  // namespace agf
