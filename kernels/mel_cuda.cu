// CUDA kernels of the batched mel spectrogram (kernels/mel.h): framing + window, and the fused
// magnitude -> mel -> dB kernel (one block per frame, the frame's spectrum staged in shared memory,
// one thread per mel band over its sparse triangle), plus the top_db clamp.
#include <cfloat>
#include <climits>
#include <algorithm>

#include "kernels/cuda_ctx.h"
#include "kernels/mel.h"

namespace agf {

namespace {
// Floats ordered as ints (for atomicMax over negative dB values).
__device__ __forceinline__ int float_to_ordered(float f) {
  int i = __float_as_int(f);
  return i >= 0 ? i : i ^ 0x7fffffff;
}
__device__ __forceinline__ float ordered_to_float(int i) { return __int_as_float(i >= 0 ? i : i ^ 0x7fffffff); }
}  // namespace

int mel_ordered_min() { return INT_MIN; }  // below every ordered float

__global__ void mel_frame_kernel(float* __restrict__ frames, const float* __restrict__ y,
                                 const int64_t* __restrict__ sample_off, const int64_t* __restrict__ n_samples,
                                 const int* __restrict__ frame_track, const int* __restrict__ frame_first,
                                 const float* __restrict__ window, int n_fft, int hop, int pad) {
  const int f = blockIdx.x;
  const int tr = frame_track[f];
  const int64_t base = sample_off[tr], len = n_samples[tr];
  const int64_t start = int64_t(f - frame_first[tr]) * hop - pad;
  float* out = frames + size_t(f) * n_fft;
  for (int i = threadIdx.x; i < n_fft; i += blockDim.x) {
    const int64_t j = start + i;
    out[i] = (j >= 0 && j < len) ? y[base + j] * window[i] : 0.f;
  }
}

__global__ void mel_fused_kernel(float* __restrict__ out, int* __restrict__ track_max, const float2* __restrict__ spec,
                                 const int* __restrict__ frame_track, const float* __restrict__ w,
                                 const int* __restrict__ w_off, const int* __restrict__ lo, const int* __restrict__ hi,
                                 int n_bins, int n_mels, float power, int db_mode, float db_amin, float db_offset) {
  extern __shared__ float mag[];  // (n_bins)
  __shared__ int block_max;
  const int f = blockIdx.x;
  if (threadIdx.x == 0) block_max = INT_MIN;
  const float2* s = spec + size_t(f) * n_bins;
  for (int k = threadIdx.x; k < n_bins; k += blockDim.x) {
    const float2 c = s[k];
    const float p2 = c.x * c.x + c.y * c.y;
    mag[k] = power == 2.f ? p2 : power == 1.f ? sqrtf(p2) : powf(sqrtf(p2), power);
  }
  __syncthreads();
  int local_max = INT_MIN;
  for (int m = threadIdx.x; m < n_mels; m += blockDim.x) {
    const float* wm = w + w_off[m];
    float acc = 0.f;
    for (int k = lo[m]; k < hi[m]; ++k) acc += wm[k - lo[m]] * mag[k];
    float v = acc;
    if (db_mode == 1)
      v = 10.f * log10f(fmaxf(db_amin, acc * acc)) - db_offset;
    else if (db_mode == 2)
      v = 10.f * log10f(fmaxf(db_amin, acc)) - db_offset;
    out[size_t(f) * n_mels + m] = v;
    local_max = max(local_max, float_to_ordered(v));
  }
  if (db_mode != 0) {
    atomicMax(&block_max, local_max);
    __syncthreads();
    if (threadIdx.x == 0) atomicMax(&track_max[frame_track[f]], block_max);
  }
}

__global__ void mel_top_db_kernel(float* __restrict__ out, const int* __restrict__ track_max,
                                  const int* __restrict__ frame_track, size_t n, int n_mels, float top_db) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const float floor = ordered_to_float(track_max[frame_track[i / n_mels]]) - top_db;
    out[i] = fmaxf(out[i], floor);
  }
}

void mel_frame_cuda(float* frames, const MelBatchLayout& L, const float* window, int n_fft, int hop, int pad,
                    cudaStream_t s) {
  if (L.total_frames == 0) return;
  mel_frame_kernel<<<L.total_frames, 256, 0, s>>>(frames, L.y, L.sample_off, L.n_samples, L.frame_track, L.frame_first,
                                                  window, n_fft, hop, pad);
  AGF_KERNEL_CHECK(s);
}

void mel_fused_cuda(float* out, int* track_max, const float* spec, const int* frame_track, const float* w,
                    const int* w_off, const int* lo, const int* hi, int total_frames, int n_bins, int n_mels,
                    float power, int db_mode, float db_amin, float db_offset, cudaStream_t s) {
  if (total_frames == 0) return;
  mel_fused_kernel<<<total_frames, 128, size_t(n_bins) * sizeof(float), s>>>(out, track_max,
                                                                             reinterpret_cast<const float2*>(spec),
                                                                             frame_track, w, w_off, lo, hi, n_bins,
                                                                             n_mels, power, db_mode, db_amin,
                                                                             db_offset);
  AGF_KERNEL_CHECK(s);
}

void mel_top_db_cuda(float* out, const int* track_max, const int* frame_track, int total_frames, int n_mels,
                     float top_db, cudaStream_t s) {
  const size_t n = size_t(total_frames) * n_mels;
  if (n == 0) return;
  const int blocks = int(std::min<size_t>((n + 255) / 256, 65535));
  mel_top_db_kernel<<<blocks, 256, 0, s>>>(out, track_max, frame_track, n, n_mels, top_db);
  AGF_KERNEL_CHECK(s);
}

}  // namespace agf
