// Mel spectrograms as librosa computes them (librosa >= 0.10): centred STFT with zero padding,
// periodic Hann window, |X|^power, Slaney (or HTK) mel filterbank with Slaney area normalisation,
// and amplitude_to_db (power 1) / power_to_db (power 2). Names follow librosa.
#pragma once
#include <string>
#include <vector>

namespace agf {

struct MelParams {
  int sr = 22050, n_fft = 1024, hop_length = 512, n_mels = 128;
  double fmin = 0, fmax = 11025;
  bool center = true;
  double power = 1.0;  // 1: magnitude (the paper), 2: power
  bool htk = false;    // mel scale: Slaney (false) or HTK (true); filters are always Slaney-normalised
  bool to_db = true;   // power 1: amplitude_to_db(ref, amin, top_db); power 2: power_to_db(...)
  double ref = 1.0, amin = 1e-5, top_db = 80;  // top_db <= 0 disables the floor
  std::string to_json() const;                 // the feature parameters, for store metadata
  // The inverse of to_json; throws nlohmann::json::exception on bad JSON or a missing or mistyped field.
  static MelParams from_json(const std::string& text);
  void validate() const;  // throws UsageError naming the bad parameter
};

// librosa.mel_frequencies / hz_to_mel / mel_to_hz.
double hz_to_mel(double hz, bool htk);
double mel_to_hz(double mel, bool htk);
// librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm="slaney"): (n_mels, 1 + n_fft/2) float32.
std::vector<float> mel_filterbank(int sr, int n_fft, int n_mels, double fmin, double fmax, bool htk);

// Frames produced for a signal of n samples.
int mel_num_frames(int64_t n_samples, const MelParams& p);

// (n_mels, frames) row-major float32. Throws UsageError for empty input or n < n_fft without centring.
std::vector<float> mel_spectrogram(const std::vector<float>& y, const MelParams& p, int* n_frames);
// Same, writing frame-major (frames, n_mels) into out (the mel store's layout); returns frames.
int mel_spectrogram_frames(const float* y, int64_t n, const MelParams& p, std::vector<float>* out);

// In-place dB conversions over a whole spectrogram (librosa semantics, the top_db floor is relative
// to the maximum of the whole array).
void amplitude_to_db(float* s, size_t n, double ref, double amin, double top_db);
void power_to_db(float* s, size_t n, double ref, double amin, double top_db);

}  // namespace agf
