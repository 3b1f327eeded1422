// The GPU mel path (see mel_gpu.h): packs a batch of tracks into one device buffer, runs
// kernels/mel.h in sub-batches of whole tracks (at most ~64k frames each, ~0.5 GB of scratch), and
// copies the frame-major results back. Same filterbank and dB conventions as mel.cpp.
#include <cmath>
#include <algorithm>
#include <type_traits>

#include "agf/audio/mel_gpu.h"
#include "util/error.h"
#include "kernels/cuda_ctx.h"
#include "kernels/mel.h"

namespace agf {

bool mel_gpu_available() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return false;
  }
  return n > 0;
}

std::vector<std::vector<float>> mel_frames_batch_gpu(const std::vector<const std::vector<float>*>& signals,
                                                     const MelParams& p) {
  p.validate();
  AGF_CHECK(mel_gpu_available(), DeviceError, "mel: no CUDA device");
  const int n_fft = p.n_fft, n_bins = n_fft / 2 + 1, pad = p.center ? n_fft / 2 : 0;
  // Sparse filterbank, window and dB constants, as mel.cpp.
  std::vector<float> dense = mel_filterbank(p.sr, n_fft, p.n_mels, p.fmin, p.fmax, p.htk), w;
  std::vector<int> w_off, lo, hi;
  for (int m = 0; m < p.n_mels; ++m) {
    const float* row = &dense[size_t(m) * n_bins];
    int a = 0, b = n_bins;
    while (a < n_bins && row[a] == 0.f) ++a;
    while (b > a && row[b - 1] == 0.f) --b;
    lo.push_back(a);
    hi.push_back(b);
    w_off.push_back(int(w.size()));
    w.insert(w.end(), row + a, row + b);
  }
  std::vector<float> window(n_fft);
  for (int i = 0; i < n_fft; ++i) window[i] = float(0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(n_fft)));
  int db_mode = 0;
  double amin = p.amin, ref = p.ref;
  if (p.to_db) {
    db_mode = p.power == 2.0 ? 2 : 1;
    if (db_mode == 1) {
      amin = p.amin * p.amin;
      ref = p.ref * p.ref;
    }
  }
  const float db_offset = float(10.0 * std::log10(std::max(amin, ref)));
  auto upload = [](const auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    DeviceBuffer<T> d(v.size());
    if (!v.empty()) CUDA_CHECK(cudaMemcpy(d.get(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
  };
  auto d_w = upload(w.empty() ? std::vector<float>{0.f} : w);
  auto d_off = upload(w_off), d_lo = upload(lo), d_hi = upload(hi);
  auto d_win = upload(window);
  MelCudaFilter fb{d_w.get(), d_off.get(), d_lo.get(), d_hi.get()};

  std::vector<std::vector<float>> out(signals.size());
  const int64_t max_frames = 65536;
  size_t k0 = 0;
  while (k0 < signals.size()) {
    // Whole tracks up to max_frames (a longer track goes alone).
    size_t k1 = k0;
    int64_t frames = 0;
    std::vector<int> counts;
    while (k1 < signals.size()) {
      AGF_CHECK(!signals[k1]->empty(), UsageError, "mel (GPU): track ", k1, " of the batch is empty");
      const int f = mel_num_frames(int64_t(signals[k1]->size()), p);
      AGF_CHECK(f > 0, UsageError, "mel (GPU): track ", k1, " is shorter than n_fft without centring");
      if (k1 > k0 && frames + f > max_frames) break;
      frames += f;
      counts.push_back(f);
      ++k1;
    }
    std::vector<float> y;
    std::vector<int64_t> soff, slen;
    std::vector<int> ftrack, ffirst;
    for (size_t k = k0; k < k1; ++k) {
      soff.push_back(int64_t(y.size()));
      slen.push_back(int64_t(signals[k]->size()));
      y.insert(y.end(), signals[k]->begin(), signals[k]->end());
      ffirst.push_back(int(ftrack.size()));
      ftrack.insert(ftrack.end(), counts[k - k0], int(k - k0));
    }
    auto d_y = upload(y);
    auto d_soff = upload(soff);
    auto d_slen = upload(slen);
    auto d_ft = upload(ftrack), d_ff = upload(ffirst);
    MelBatchLayout L{d_y.get(), d_soff.get(), d_slen.get(), d_ft.get(), d_ff.get(), int(k1 - k0), int(frames)};
    DeviceBuffer<float> d_out(size_t(frames) * p.n_mels);
    mel_batch_cuda(d_out.get(), L, fb, d_win.get(), n_fft, p.hop_length, pad, p.n_mels, float(p.power), db_mode,
                   float(amin), db_offset, float(p.top_db), nullptr);
    std::vector<float> host(size_t(frames) * p.n_mels);
    CUDA_CHECK(cudaMemcpy(host.data(), d_out.get(), host.size() * sizeof(float), cudaMemcpyDeviceToHost));
    size_t pos = 0;
    for (size_t k = k0; k < k1; ++k) {
      const size_t n = size_t(counts[k - k0]) * p.n_mels;
      out[k].assign(host.begin() + pos, host.begin() + pos + n);
      pos += n;
    }
    k0 = k1;
  }
  return out;
}

}  // namespace agf
