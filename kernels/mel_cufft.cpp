// Host driver of the batched CUDA mel (kernels/mel.h): frames the batch, runs one batched cuFFT R2C
// (plan cached per (n_fft, batch); cuFFT plans are not free to make), then the fused mel/dB kernel
// and the top_db clamp, all on stream s.
#include <map>
#include <vector>
#include <mutex>
#include <utility>

#include "kernels/cuda_ctx.h"
#include "kernels/mel.h"

namespace agf {

namespace {
cufftHandle r2c_plan(int n_fft, int batch) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, cufftHandle> plans;
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans.find({n_fft, batch});
  if (it != plans.end()) return it->second;
  if (plans.size() > 16) {  // bound the cache: batch sizes vary with track lengths
    for (auto& kv : plans) cufftDestroy(kv.second);
    plans.clear();
  }
  cufftHandle h;
  int n[1] = {n_fft};
  CUFFT_CHECK(cufftPlanMany(&h, 1, n, nullptr, 1, n_fft, nullptr, 1, n_fft / 2 + 1, CUFFT_R2C, batch));
  plans[{n_fft, batch}] = h;
  return h;
}
}  // namespace

void mel_batch_cuda(float* out, const MelBatchLayout& L, const MelCudaFilter& fb, const float* window, int n_fft,
                    int hop, int pad, int n_mels, float power, int db_mode, float db_amin, float db_offset,
                    float top_db, cudaStream_t s) {
  if (L.total_frames == 0) return;
  const int n_bins = n_fft / 2 + 1;
  DeviceBuffer<float> frames(size_t(L.total_frames) * n_fft);
  DeviceBuffer<float> spec(size_t(L.total_frames) * n_bins * 2);  // (frames, n_bins) complex
  DeviceBuffer<int> track_max(size_t(L.n_tracks));
  std::vector<int> init(size_t(L.n_tracks), mel_ordered_min());
  CUDA_CHECK(cudaMemcpyAsync(track_max.get(), init.data(), init.size() * sizeof(int), cudaMemcpyHostToDevice, s));
  mel_frame_cuda(frames.get(), L, window, n_fft, hop, pad, s);
  cufftHandle plan = r2c_plan(n_fft, L.total_frames);
  CUFFT_CHECK(cufftSetStream(plan, s));
  CUFFT_CHECK(cufftExecR2C(plan, frames.get(), reinterpret_cast<cufftComplex*>(spec.get())));
  mel_fused_cuda(out, track_max.get(), spec.get(), L.frame_track, fb.w, fb.w_off, fb.lo, fb.hi, L.total_frames, n_bins,
                 n_mels, power, db_mode, db_amin, db_offset, s);
  if (db_mode != 0 && top_db > 0)
    mel_top_db_cuda(out, track_max.get(), L.frame_track, L.total_frames, n_mels, top_db, s);
  CUDA_CHECK(cudaStreamSynchronize(s));  // the scratch buffers are freed on return
}

}  // namespace agf
