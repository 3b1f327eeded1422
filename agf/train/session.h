// What training, transfer, evaluation and prediction share: the compute device (engine/compute.h, included
// here), the work folder's data (mel store, split, genre labels, factor targets), batching of
// 43-frame windows, and saving/loading a net with its configuration.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agf/data/melstore.h"
#include "agf/data/split.h"
#include "engine/arena.h"
#include "engine/compute.h"
#include "engine/safetensors.h"
#include "engine/tape.h"
#include "layers/nets.h"

namespace agf {

// ---- Work folder data.
struct WorkData {
  std::string work_dir;
  MelStore store;
  Split split;
  std::vector<int> genre;  // per store track: top-genre index 0..15, -1 when none
  // Factor targets of each loaded kind (m, d, e, s): per store track a row index into `rows`, -1 when
  // the track has none (its artist has no factor).
  struct Factor {
    int topics = 0;
    std::vector<int64_t> row_of_track;
    std::vector<float> rows;                      // (n, topics)
    std::map<std::string, std::string> settings;  // how the factor was made (FactorTargets::settings)
  };
  std::map<char, Factor> factors;
  std::vector<int64_t> train, valid;  // store indices of the split's tracks present in the store, ascending

  // Whether track i (store index) has a target for `task`, and that target (k floats).
  bool has_target(char task, int64_t i) const;
  void target(char task, int64_t i, float* out, int genres) const;
};
// Opens WORK/mels.safetensors and WORK/split.json, reads the genre labels from the FMA metadata named
// by WORK/dataset.json, and loads the factor targets of the factor letters in `tasks`.
WorkData load_work(const std::string& work_dir, const std::string& tasks);

// ---- Windows: (store index, start frame) of 43-frame segments.
struct Window {
  int64_t track;
  int start;
};
// Every window of each track with the given hop (at least one per track), in track order; also the
// position of each window's track in `tracks` (for per-track averaging).
std::vector<Window> track_windows(const MelStore& s, const std::vector<int64_t>& tracks, int frames, int hop,
                                  std::vector<int>* track_of_window);
// The centre window of each track.
std::vector<Window> centre_windows(const MelStore& s, const std::vector<int64_t>& tracks, int frames);
// Fills x (n, 1, n_mels, frames) on the host from standardised mel windows.
void fill_windows(const MelStore& s, const Window* w, int n, int frames, float* x);

// ---- Nets on disk.
nlohmann::json net_config_json(const NetConfig& c);
NetConfig net_config_from_json(const nlohmann::json& j);
// Writes the net atomically as format agf-net-2: one F32 tensor per parameter and buffer, named and shaped
// as PyTorch's state_dict of bench/peers/torch_models.py (conv (out, in, kh, kw), dense (out, in), BN
// weight/bias/running_mean/running_var), so strict load_state_dict works; nothing else among the tensors.
// Metadata: {"format": "agf-net-2", "net": config, ...extra} (mel parameters, training, transfer facts).
void save_net(const std::string& path, const Net& net, const std::map<std::string, std::string>& extra_metadata);
struct LoadedNet {
  std::unique_ptr<Net> net;
  std::map<std::string, std::string> metadata;
};
// Builds the net from the file's config on `c`'s device and loads its parameters by name (F32, F64 or F16
// tensors). FormatError naming the file and the first missing, unexpected or mis-shaped tensor, or when
// it is not an agf net. Older agf-net-1 files (one flat "params" blob) still load.
LoadedNet load_net(const std::string& path, const Compute& c);

// Host copy of a (small) device tensor, as float32 values.
std::vector<float> to_host_f32(const Tensor& t);
// Uploads host floats into a tensor of the same element count on any device.
void upload(Tensor& dst, const float* src);

}  // namespace agf
