// `agf embed`: each track's transfer features (the nets' 256-d post-ELU activations, the MLP's inputs)
// for audio files and folders, mean over the track's windows and, with `windows`, per window. Written to
// safetensors, .npy (+ a .json sidecar) or CSV, with the track paths and the net names alongside.
#pragma once
#include <string>
#include <vector>

#include "agf/train/library.h"

namespace agf {

struct EmbedOptions {
  std::string model_dir, out;
  std::vector<std::string> paths;  // files and folders (recursive)
  std::string format;              // safetensors | npy | csv; empty: from out's extension
  bool windows = false;            // also (safetensors) or instead (npy, csv) the per-window features
  int hop = 0, threads = 0, batch = 256;
  std::string device = "auto";
  bool quiet = false;
};
struct EmbedSummary {
  int64_t tracks = 0, embedded = 0, failed = 0, windows = 0, dim = 0;
  std::string format;
};
// Writes `out` atomically once every track is done (tracks that are not ok are listed in the metadata /
// sidecar with their status and left out of the arrays). UsageError for an unknown format.
//
// safetensors tensors: features (n, D) concatenated over the nets; features.<k> (n, d_k) per net k;
// with windows: window_features (W, D), window_track I64 (W) row of its track, window_start I64 (W)
// first frame. Metadata: format "agf-embeddings-1", paths, nets [{index, name, file, dim, offset}],
// skipped [{path, status, reason}], model, hop, frames.
EmbedSummary run_embed(const EmbedOptions& o);

}  // namespace agf
