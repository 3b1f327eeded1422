// agf model: print a network's layer table (layer, output shape, parameters) and its parameter count.
#include "apps/command.h"
#include "layers/describe.h"
#include <cstdio>

using namespace agf;

static std::string strip_commas(std::string s) {
  std::string r;
  for (char c : s)
    if (c != ',' && c != ' ') r += c;
  return r;
}

AGF_COMMAND("model", "print a network's layer table and parameter count", [](CLI::App& c) {
  auto arch = std::make_shared<std::string>("dcnn");
  auto tasks = std::make_shared<std::string>("g");
  auto outputs = std::make_shared<int>(0);
  auto inputs = std::make_shared<int>(1280);
  auto topics = std::make_shared<int>(40);
  auto match = std::make_shared<int>(0);
  c.add_option("--arch", *arch, "dcnn | mtn | wstn | mlp")->check(CLI::IsMember({"dcnn", "stn", "mtn", "wstn", "mlp"}));
  c.add_option("--outputs", *outputs, "output size (default: 16 for g, topics for m/d/e/s)")
      ->check(CLI::Range(1, 100000));
  c.add_option("--tasks", *tasks,
               "task letters, e.g. g,m,d,e,s (mtn: one branch each; wstn: matches an MTN of as many tasks)");
  c.add_option("--inputs", *inputs, "mlp input width (256 x number of source nets)")->check(CLI::Range(1, 1 << 20));
  c.add_option("--topics", *topics, "factor task output size")->check(CLI::Range(2, 10000));
  c.add_option("--match", *match, "wstn: number of tasks of the MTN to match (default: the number of --tasks)")
      ->check(CLI::Range(1, 5));
  return [=]() {
    NetConfig cfg;
    cfg.arch = agf::parse_arch(*arch);
    cfg.tasks = strip_commas(*tasks);
    cfg.outputs = *outputs;
    cfg.inputs = *inputs;
    cfg.topics = *topics;
    for (char t : cfg.tasks) task_outputs(t, cfg);  // validates letters
    std::string note;
    if (cfg.arch == agf::Arch::wstn) {
      int n = *match ? *match : int(cfg.tasks.size());
      int64_t target = mtn_params_for_tasks(n, cfg);
      cfg.width = wstn_width_for(target, cfg);
      cfg.tasks = "g";
      note = str("wstn width factor ", cfg.width, " matches the ", n, "-task MTN (", target, " parameters)\n");
    }
    if (cfg.arch == agf::Arch::mlp && cfg.outputs == 0) cfg.outputs = cfg.genres;
    auto net = build_net(cfg);
    net->params.finalize(Device::CPU, DType::F32, 0);
    LayerTable table = describe_net(*net);
    std::printf("%s%s", format_layer_table(*net, table).c_str(), note.c_str());
    if (!note.empty()) {
      int64_t target = mtn_params_for_tasks(*match ? *match : int(strip_commas(*tasks).size()), cfg);
      std::printf("difference from the target: %+.3f %%\n",
                  100.0 * double(table.total_params - target) / double(target));
    }
    return 0;
  };
});
