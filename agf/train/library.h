// Prediction and embedding at library scale: audio files and folders (recursive, by extension) decoded
// in worker threads while the nets run on batches of windows gathered across tracks; each track gets a
// status, so that unreadable, silent, too short or non-finite inputs are reported, never predicted.
// `agf predict` writes rows as tracks finish (agf/train/rowfile.h); `agf embed` keeps the features.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agf/train/features.h"

namespace agf {

// Audio files under `paths`: a file is taken as given (whatever its extension); a folder is walked
// recursively for files whose extension (any case) is one of audio_extensions(); sorted by path.
// A path that does not exist is returned too, so that it gets reported as unreadable.
std::vector<std::string> collect_audio_files(const std::vector<std::string>& paths);
const std::vector<std::string>& audio_extensions();  // wav flac ogg oga mp3 aif aiff au

enum class TrackStatus { Ok, Unreadable, Silent, TooShort, NonFinite };
const char* track_status_name(TrackStatus s);  // ok unreadable silent too_short non_finite

// A track's audio, decoded, checked and standardised (frame-major (frames, n_mels)), ready for windows.
struct DecodedTrack {
  std::string path;
  TrackStatus status = TrackStatus::Ok;
  std::string reason;       // why the status is not ok
  double seconds = 0;       // audio duration (0 when unreadable)
  int frames = 0;           // mel frames
  std::vector<float> z;     // (frames, n_mels) standardised, float16-rounded first as the store
  std::vector<int> starts;  // window start frames
};
// Peak amplitude below which a track is silent (-80 dBFS: the mel's dB floor relative to full scale).
constexpr float kSilencePeak = 1e-4f;
// Decodes one file with the model's parameters; never throws for a bad file (the status says why).
DecodedTrack decode_track(const TransferModel& m, const std::string& path, int hop);

struct TrackResult {
  DecodedTrack track;                  // z is released once the features are computed
  std::vector<float> probs;            // (genres) mean of the window softmaxes; empty unless ok
  std::vector<float> features;         // (feature_dim) mean over windows, when asked for
  std::vector<float> window_features;  // (windows, feature_dim), when asked for
};

struct LibraryOptions {
  int hop = 0;      // 0: the model's eval_hop
  int threads = 0;  // decode workers; 0: hardware concurrency
  int batch = 256;  // windows per inference batch (gathered across tracks)
  bool mean_features = false, window_features = false;
  bool quiet = false;
};
struct LibrarySummary {
  int64_t tracks = 0, ok = 0, failed = 0, windows = 0;
  int64_t by_status[5] = {0, 0, 0, 0, 0};
  double seconds = 0;   // wall clock
  int64_t resumed = 0;  // agf predict --resume: tracks skipped as already written
};
// Runs the model over `files` in order; `on_result` is called on the calling thread for every file, in
// the order of `files`, as soon as that file and all before it are done.
LibrarySummary run_library(const TransferModel& m, const Compute& c, const std::vector<std::string>& files,
                           const LibraryOptions& o, const std::function<void(const TrackResult&)>& on_result);

}  // namespace agf
