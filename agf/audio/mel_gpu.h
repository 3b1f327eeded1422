// Batched mel spectrograms on the GPU (kernels/mel.h: cuFFT R2C plus framing and fused
// magnitude -> mel -> dB kernels), a whole batch of tracks per launch. Same results as the CPU path
// (mel.h) within float32 rounding; the CUDA parity test checks it.
#pragma once
#include <vector>

#include "agf/audio/mel.h"

namespace agf {

// True when built with CUDA and a device is present.
bool mel_gpu_available();

// For each signal, its frame-major (frames, n_mels) dB (or linear) mel spectrogram, as
// mel_spectrogram_frames would give. DeviceError without CUDA. Empty signals: UsageError.
std::vector<std::vector<float>> mel_frames_batch_gpu(const std::vector<const std::vector<float>*>& signals,
                                                     const MelParams& p);

}  // namespace agf
