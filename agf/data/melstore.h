// The mel store: every track's dB mel frames in one memory-mapped safetensors file in WORK, as
// `agf prepare` writes it, and the reader the trainer uses. Tensors: "frames" (total_frames,
// n_mels) F16 (or F32), "offsets"/"n_frames"/"track_ids" I64 (n_tracks), "mean"/"std" F32 (n_mels,
// over the training split); metadata: "params" (feature JSON), "n_mels", "dtype", "split".
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace agf {

class SafetensorsFile;

std::string melstore_path(const std::string& work_dir);  // WORK/mels.safetensors

class MelStore {
 public:
  static MelStore open(const std::string& work_dir);  // IOError / FormatError naming the file
  static MelStore open_file(const std::string& path);
  MelStore(MelStore&&) noexcept;
  MelStore& operator=(MelStore&&) noexcept;
  ~MelStore();

  int64_t num_tracks() const { return int64_t(ids_.size()); }
  int n_mels() const { return n_mels_; }
  int64_t total_frames() const { return total_frames_; }
  int64_t track_id(int64_t i) const;
  int frames(int64_t i) const;
  int64_t index_of(int64_t track_id) const;  // -1 if absent
  bool is_float16() const { return f16_; }
  // (n_mels, n_frames) float32, standardised per mel bin: out[m * n_frames + t] =
  // (x[start + t][m] - mean[m]) / std[m]. ShapeError when the window leaves the track.
  void segment(int64_t i, int start_frame, int n_frames, float* out) const;
  // Unstandardised dB frames, frame-major (n_frames, n_mels), for statistics and tests.
  void raw_frames(int64_t i, int start_frame, int n_frames, float* out) const;
  const std::vector<float>& mean() const { return mean_; }
  const std::vector<float>& stdev() const { return std_; }
  std::string params_json() const { return params_; }
  const std::map<std::string, std::string>& metadata() const;

 private:
  MelStore() = default;
  std::unique_ptr<SafetensorsFile> file_;
  const void* frames_ = nullptr;
  bool f16_ = true;
  int n_mels_ = 0;
  int64_t total_frames_ = 0;
  std::vector<int64_t> ids_, offsets_, counts_;
  std::unordered_map<int64_t, int64_t> index_;
  std::vector<float> mean_, std_, inv_std_;
  std::string params_;
};

// One track's frames for the writer: frame-major (frames, n_mels) float32.
struct MelTrackFrames {
  int64_t track_id;
  int frames;
  const float* data;
};

// Streams a store file to `path` atomically (temporary file, fsync, rename). `tracks` gives each
// track in store order through a callback that fills (frames, n_mels) float32 for track k.
struct MelStoreWriteSpec {
  int n_mels = 0;
  bool float16 = true;
  std::vector<int64_t> track_ids;
  std::vector<int64_t> n_frames;
  std::vector<float> mean, stdev;
  std::map<std::string, std::string> metadata;
};
void write_melstore(const std::string& path, const MelStoreWriteSpec& spec,
                    const std::function<void(int64_t k, std::vector<float>* frames)>& track_frames);

}  // namespace agf
