// `agf predict --model RUN FILE... [--top K] [--json]`: top genres of audio files with a transfer model.
// Unreadable or too short files are reported with their reason and skipped; the exit status is then 1.
#include <cstdio>
#include <memory>

#include "agf/train/predict.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("predict", "top genres of audio files with a transfer model (agf transfer / experiment output)",
            [](CLI::App& c) {
  auto model = std::make_shared<std::string>();
  auto files = std::make_shared<std::vector<std::string>>();
  auto top = std::make_shared<int>(3);
  auto hop = std::make_shared<int>(0);
  auto json = std::make_shared<bool>(false);
  auto device = std::make_shared<std::string>("auto");
  c.add_option("--model", *model, "transfer folder (holds mlp.safetensors and nets/)")->required();
  c.add_option("files", *files, "audio files (wav, flac, ogg, mp3)")->required();
  c.add_option("--top", *top, "genres to print per file")->check(CLI::Range(1, 16))->capture_default_str();
  c.add_option("--hop", *hop, "hop between windows in frames (0: the model's)")->capture_default_str();
  c.add_flag("--json", *json, "one JSON object per file");
  c.add_option("--device", *device, "auto | cpu | cuda")->capture_default_str();
  return std::function<int()>([=] {
    agf::Compute comp = agf::open_compute(*device);
    agf::make_current(comp);
    agf::TransferModel m = agf::load_transfer_model(*model, comp);
    const int h = *hop > 0 ? *hop : m.eval_hop;
    int failed = 0;
    for (const std::string& f : *files) {
      agf::Prediction p;
      try {
        p = agf::predict_file(m, comp, f, h);
      } catch (const agf::Error& e) {
        ++failed;
        std::fprintf(stderr, "agf predict: skipped %s: %s\n", f.c_str(), e.what());
        continue;
      }
      const auto best = agf::top_k(p.probs, *top);
      if (*json) {
        nlohmann::json j = {{"file", f}, {"seconds", p.seconds}, {"windows", p.windows}};
        nlohmann::json t = nlohmann::json::array();
        for (const auto& [g, pr] : best) t.push_back({{"genre", m.genre_names[size_t(g)]}, {"probability", pr}});
        j["top"] = t;
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s", f.c_str());
        for (const auto& [g, pr] : best) std::printf("  %s %.3f", m.genre_names[size_t(g)].c_str(), pr);
        std::printf("\n");
      }
      std::fflush(stdout);
    }
    if (failed) std::fprintf(stderr, "agf predict: %d of %zu files could not be read\n", failed, files->size());
    return failed ? 1 : 0;
  });
});

}  // namespace
