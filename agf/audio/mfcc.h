// MFCC as librosa.feature.mfcc: orthonormal DCT-II of power_to_db(melspectrogram(power=2)), the
// AGF defaults of the authors' code (13 from 40 mels, n_fft 2048, hop 1024, 22,050 Hz); and the
// delta-MFCC of the paper, the first difference along time.
#pragma once
#include <vector>

namespace agf {

struct MfccParams {
  int sr = 22050, n_fft = 2048, hop_length = 1024, n_mels = 40, n_mfcc = 13;
};

// (n_mfcc, frames) row-major.
std::vector<float> mfcc(const std::vector<float>& y, const MfccParams& p, int* n_frames);
// From a dB mel spectrogram (n_mels, frames): (n_mfcc, frames), scipy.fft.dct(type=2, norm="ortho").
std::vector<float> mfcc_from_db_mel(const std::vector<float>& db_mel, int n_mels, int n_frames, int n_mfcc);
// (n_mfcc, frames - 1): d[c, t] = m[c, t + 1] - m[c, t]; empty when frames < 2.
std::vector<float> delta_mfcc(const std::vector<float>& m, int n_mfcc, int n_frames);

}  // namespace agf
