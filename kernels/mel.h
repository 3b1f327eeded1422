// Batched mel spectrograms on CUDA: framing + periodic Hann window (custom kernel), cuFFT R2C over
// every frame of a batch of tracks at once, then one fused kernel |X|^power -> sparse Slaney mel
// filterbank -> dB with a per-track running maximum, and a clamp kernel for top_db. Reference: the
// CPU path agf/audio/mel.cpp (itself checked against librosa). CUDA only; float32.
#pragma once
#include <cstdint>

#include "kernels/cuda_fwd.h"

namespace agf {

#ifdef AGF_HAVE_CUDA
// Frames of the batch, track by track: frame f belongs to track frame_track[f] and is its
// (f - frame_first[track])-th frame. Samples of track k are y[sample_off[k] .. + n_samples[k]).
struct MelBatchLayout {
  const float* y;             // (total_samples) device
  const int64_t* sample_off;  // (n_tracks) device
  const int64_t* n_samples;   // (n_tracks) device
  const int* frame_track;     // (total_frames) device
  const int* frame_first;     // (n_tracks) device: index of the track's first frame in the batch
  int n_tracks, total_frames;
};

// frames (total_frames, n_fft) = window * y[t*hop - pad + i] (zero outside the track).
void mel_frame_cuda(float* frames, const MelBatchLayout& L, const float* window, int n_fft, int hop, int pad,
                    cudaStream_t s);

// out (total_frames, n_mels) = mel(|spec|^power), then dB (mode 1 amplitude_to_db, 2 power_to_db,
// 0 linear) with track_max (n_tracks, as ordered ints, initialised by the caller to the minimum) updated.
// Filterbank rows m use weights w[w_off[m] .. + (hi[m]-lo[m])] for bins lo[m] .. hi[m]-1.
void mel_fused_cuda(float* out, int* track_max, const float* spec /*(total_frames, n_bins, 2)*/, const int* frame_track,
                    const float* w, const int* w_off, const int* lo, const int* hi, int total_frames, int n_bins,
                    int n_mels, float power, int db_mode, float db_amin, float db_offset, cudaStream_t s);

// out[f, m] = max(out[f, m], track_max[frame_track[f]] - top_db).
void mel_top_db_cuda(float* out, const int* track_max, const int* frame_track, int total_frames, int n_mels,
                     float top_db, cudaStream_t s);

// Host driver (kernels/mel_cufft.cpp): runs the three stages with a cached cuFFT plan on a batch
// already on the device; out (total_frames, n_mels) device. Mel weights in the sparse form above.
struct MelCudaFilter {
  const float* w;
  const int *w_off, *lo, *hi;
};
void mel_batch_cuda(float* out, const MelBatchLayout& L, const MelCudaFilter& fb, const float* window, int n_fft,
                    int hop, int pad, int n_mels, float power, int db_mode, float db_amin, float db_offset,
                    float top_db, cudaStream_t s);

int mel_ordered_min();  // the initial value of track_max
#endif

}  // namespace agf
