// `agf prepare`: decode every track of an FMA subset in worker threads, compute its dB mel
// spectrogram (GPU when there is one, else CPU) and write the mel store in WORK, with a skip report,
// a failure threshold, and resumability (per-chunk part files, written atomically, kept on re-run).
#pragma once
#include <cstdint>
#include <string>

#include "agf/audio/mel.h"
#include "layers/paper.h"

namespace agf {

struct PrepareOptions {
  std::string metadata_dir, audio_dir, subset = "medium", work_dir, split = "random";
  uint64_t seed = 0;
  bool float32 = false;             // store frames as float32 instead of float16
  double max_fail_fraction = 0.01;  // exit non-zero when more tracks than this fail
  int threads = 0;                  // decoding workers; 0: hardware concurrency
  std::string device = "auto";      // auto | cpu | cuda (engine/compute.h resolve_device)
  MelParams mel;
  int chunk_tracks = 64;            // tracks per part file (the unit of resumption)
  int min_frames = paper::kFrames;  // shorter tracks are skipped (one training segment)
  bool quiet = false;               // no progress output
};

// Files in WORK: mels.safetensors (the store, see melstore.h), split.json, dataset.json,
// prepare_skips.tsv (track_id, path, reason), mel_parts/part_*.safetensors (kept for resumption).
// Returns 0 on success, 3 when the failed fraction exceeds max_fail_fraction (the store is still
// written). Throws UsageError for bad options or a WORK made with other parameters.
int run_prepare(const PrepareOptions&);

// Why a decoded signal cannot be used ("" if it can): silent, or fewer than min_frames frames.
std::string unusable_reason(const std::vector<float>& y, const MelParams& p, int min_frames);

}  // namespace agf
