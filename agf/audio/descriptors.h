// Song-level descriptors (the paper's 'e' factor input, after Essentia's MusicExtractor): frame
// descriptors (spectral shape, Bark/mel energies, MFCC, ZCR, RMS, loudness, HPCP, onset strength)
// summarised by 9 statistics each, plus track-level rhythm and tonal descriptors. The column list is
// fixed and named (docs/DESCRIPTORS.md).
#pragma once
#include <string>
#include <vector>

namespace agf {

// Fixed length == descriptor_names().size() (1,188: key and scale one-hot); always finite, also for silence and very short
// input. y: mono samples at sr (any rate >= 8 kHz; frames of 46 ms). UsageError for empty y.
std::vector<float> song_descriptors(const std::vector<float>& y, int sr);
const std::vector<std::string>& descriptor_names();

// The frame-level series names (before the 9 statistics) and the statistic suffixes, in column order.
const std::vector<std::string>& descriptor_series_names();
const std::vector<std::string>& descriptor_stat_names();  // mean var median min max dmean dvar dmean2 dvar2

// Building blocks, exposed for tests.
// Key from a 12-bin chroma profile (C = 0): Krumhansl-Kessler major/minor profiles, Pearson
// correlation at each tonic. Returns tonic 0..11, *minor, *strength (the best correlation).
int estimate_key(const float* chroma12, bool* minor, float* strength, float* corr24 = nullptr);
// Tempo (BPM) from an onset-strength envelope sampled at frame_rate Hz: autocorrelation weighted by
// a log-normal prior around 120 BPM, searched over 40-240 BPM. *confidence in [0, 1].
float estimate_bpm(const std::vector<float>& onset_env, double frame_rate, float* confidence);

}  // namespace agf
