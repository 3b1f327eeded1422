// Per-track features for the artist group factors: MFCC frames (m, and d by first difference) and
// song-level descriptors (e), computed from the audio in worker threads and cached per track in
// WORK/features/<track_id>.safetensors so a re-run only reads them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace agf {

struct TrackFeatures {
  int64_t track_id = 0;
  bool ok = false;    // decoded and computed (or read from the cache)
  std::string error;  // why not, when !ok
  int n_mfcc = 0, frames = 0;
  std::vector<float> mfcc;  // (n_mfcc, frames)
  std::vector<float> desc;  // (descriptor_names().size()) when descriptors were requested
};

struct FeatureRequest {
  std::string audio_dir, cache_dir;  // cache_dir "" = no cache
  bool mfcc = true, descriptors = false;
  int n_mfcc = 13;      // MFCC coefficients: 13 (the authors' code) or 25 (the paper's Table 1)
  int threads = 0;      // 0 = std::thread::hardware_concurrency()
  bool verbose = true;  // progress with rate and ETA on stderr
};

// One entry per id, in the same order. A track whose audio is missing or cannot be decoded is
// returned with ok = false and the error (never throws for one bad file).
std::vector<TrackFeatures> compute_track_features(const std::vector<int64_t>& track_ids, const FeatureRequest& req);

// True when this build has the song-level descriptors (agf/audio/descriptors.h).
bool have_song_descriptors();
// Their column names ("" list when unavailable).
std::vector<std::string> song_descriptor_names();

}  // namespace agf
