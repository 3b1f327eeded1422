// Layer tables via a traced forward (see describe.h). Shapes are printed as the paper's Table 2
// does, H x W x C (frequency x time x channels), after the NCHW shape.
#include "layers/describe.h"
#include <cstdio>
#include <set>

namespace agf {

LayerTable describe_net(const Net& net) {
  LayerTable table;
  table.total_params = net.num_trainable();
  Arena arena(Device::CPU);
  Tape t(arena, net.params.dtype());
  t.training = false;
  t.trace = true;
  for (int task = 0; task < net.num_tasks(); ++task) {
    t.reset();
    Var x = t.input(arena.zeros(net.input_shape(2), net.params.dtype()));
    net.forward(t, x, task);
    table.per_task.push_back(t.rows);
  }
  return table;
}

static std::string paper_shape(const Shape& s) {
  if (s.ndim == 4) return str(s[2], "x", s[3], "x", s[1]);
  if (s.ndim == 2) return str(s[1]);
  return s.str();
}

std::string format_layer_table(const Net& net, const LayerTable& table) {
  std::string out;
  char line[256];
  std::set<std::string> shown;  // MTN: the shared block is listed once
  for (size_t task = 0; task < table.per_task.size(); ++task) {
    if (table.per_task.size() > 1) out += str("\n[task ", net.config.tasks[task], "]\n");
    std::snprintf(line, sizeof line, "%-28s %-22s %-14s %10s\n", "layer", "output (N,C,H,W)", "HxWxC", "params");
    out += line;
    for (const LayerRow& r : table.per_task[task]) {
      if (!shown.insert(r.layer).second) continue;
      Shape s = r.output;
      s.d[0] = -1;  // batch
      std::string shape = s.str();
      shape.replace(1, 2, "N");
      std::snprintf(line, sizeof line, "%-28s %-22s %-14s %10lld\n", r.layer.c_str(), shape.c_str(),
                    paper_shape(r.output).c_str(), (long long)r.params);
      out += line;
    }
  }
  out += str("total trainable parameters: ", table.total_params, "\n");
  return out;
}

}  // namespace agf
