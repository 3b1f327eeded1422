// Training checkpoints (checkpoint.safetensors in a run folder): the parameters, each optimizer's moments
// and step count, and the position (epoch, batch inside it, step) from which --resume redraws every later
// random choice (rng.h). Written atomically; read back only into a net of the same identity.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/optim.h"
#include "engine/safetensors.h"
#include "layers/nets.h"

namespace agf {

struct Checkpoint {
  int epoch = 0;  // epochs done
  int batch = 0;  // batches of epoch `epoch` (0-based) done: > 0 for a mid-epoch stop
  int64_t step = 0, skipped = 0;
  double seconds = 0;
  int bad_in_row = 0;            // non-finite steps in a row before this point
  std::vector<double> loss_sum;  // mid-epoch: per task, the epoch's loss sums and counts so far
  std::vector<int64_t> loss_n;
};

// The optimizers of a run: one for a single-task net (moments in the ParamStore), one per task for an MTN.
using Optimizers = std::vector<std::unique_ptr<Adam>>;

// Writes `path` atomically: params, adam_m/adam_v (".<task>" per MTN task), and the metadata format,
// identity (what a resume must share), options and state (the position, partial loss sums, Adam steps).
void write_checkpoint(const std::string& path, const Net& net, const Optimizers& opts, const Checkpoint& c,
                      const nlohmann::json& identity, const nlohmann::json& options);

// Loads `path` into net and opts; every key of `identity` must equal the file's (a clear UsageError names
// the first that differs), formats 1-3 are read, and anything malformed is a FormatError naming the file.
Checkpoint read_checkpoint(const std::string& path, Net& net, Optimizers& opts, const nlohmann::json& identity);

// Loads the float32 vector `name` of f (read from path) into dst, which must have its element count; a
// FormatError names the file, the tensor and the owner ("net", "MLP") otherwise.
void load_f32_vector(const SafetensorsFile& f, const std::string& path, const char* name, const Tensor& dst,
                     const char* owner);

// Keeps the records of train.jsonl for epochs <= `epoch` (a run interrupted between its log line and its
// checkpoint would otherwise log those epochs twice).
void trim_jsonl(const std::string& path, int epoch);

}  // namespace agf
