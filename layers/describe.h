// Layer tables: run a traced inference forward of a net on the CPU and list each layer's output
// shape and parameter count (what `agf model` prints).
#pragma once
#include <string>
#include <vector>
#include "layers/nets.h"

namespace agf {

struct LayerTable {
  std::vector<std::vector<LayerRow>> per_task;  // one table per task branch (MTN), else one
  int64_t total_params = 0;
};

LayerTable describe_net(const Net& net);  // net.params must be finalized on the CPU
std::string format_layer_table(const Net& net, const LayerTable& table);

}  // namespace agf
