// A transfer folder made without training (random nets, as the Pipeline test's trained ones but
// instant): two narrow DCNNs (g, s) and an MLP, saved as agf transfer writes them.
#pragma once
#include <string>

#include "agf/audio/mel.h"
#include "agf/data/fma.h"
#include "agf/train/session.h"
#include "util/fs.h"

namespace agf::test {

inline void make_random_transfer_model(const std::string& dir, double width = 0.25, uint64_t seed = 5) {
  ensure_dir(dir + "/nets");
  const std::string mel = MelParams{}.to_json();
  nlohmann::json nets = nlohmann::json::array();
  int inputs = 0;
  const char* tasks[] = {"g", "s"};
  for (int k = 0; k < 2; ++k) {
    NetConfig c;
    c.arch = Arch::stn;
    c.tasks = tasks[k];
    c.topics = 4;
    c.width = width;
    auto net = build_net(c);
    net->params.finalize(Device::CPU, DType::F32, seed + uint64_t(k));
    const std::string rel = "nets/" + std::to_string(k) + ".safetensors";
    save_net(dir + "/" + rel, *net, {{"mel_params", mel}});
    nets.push_back({{"file", rel}, {"name", std::string("stn-") + tasks[k]}});
    inputs += int(std::lround(256 * width));
  }
  NetConfig mc;
  mc.arch = Arch::mlp;
  mc.inputs = inputs;
  mc.hidden = 32;
  mc.outputs = 16;
  auto mlp = build_net(mc);
  mlp->params.finalize(Device::CPU, DType::F32, seed + 10);
  std::vector<float> mean(128), sd(128);
  for (int b = 0; b < 128; ++b) {
    mean[size_t(b)] = -40.f + 0.1f * float(b);
    sd[size_t(b)] = 15.f + 0.05f * float(b);
  }
  const nlohmann::json tj = {
      {"nets", nets},   {"frames", 43}, {"eval_hop", 10}, {"train_hop", 43}, {"genres", top_genre_names()},
      {"float16", true}};
  save_net(dir + "/mlp.safetensors", *mlp,
           {{"mel_params", mel},
            {"transfer", tj.dump()},
            {"mel_standardisation", nlohmann::json{{"mean", mean}, {"std", sd}}.dump()}});
}

}  // namespace agf::test
