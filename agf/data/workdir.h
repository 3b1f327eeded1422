// Every path of a work folder, named once. `agf prepare` makes WORK; `agf factors`, `train`, `transfer`
// and `experiment` read and add to it:
//   WORK/mels.safetensors           the mel store (melstore.h)       WORK/mel_parts/part_NNNNN.safetensors
//   WORK/split.json, dataset.json   the split and where the corpus is   WORK/prepare_skips.tsv
//   WORK/features/                  agf factors' audio-feature cache
//   WORK/factors/<k>.safetensors    factor targets; <k>_model.safetensors, <k>_summary.{md,json}
//   WORK/runs/<net>/                agf train's run folders (net_name: stn-g, mtn-gs, wstn-5)
//   WORK/experiment/, experiment-seeds/   agf experiment's default output (one seed, several)
#pragma once
#include <cstddef>
#include <cstdio>
#include <string>

namespace agf {

struct WorkDir {
  std::string root;

  explicit WorkDir(std::string r) : root(std::move(r)) {}
  std::string mels() const { return root + "/mels.safetensors"; }
  std::string mel_parts() const { return root + "/mel_parts"; }
  std::string mel_part(size_t k) const {
    char name[40];
    std::snprintf(name, sizeof(name), "/part_%05zu.safetensors", k);
    return mel_parts() + name;
  }
  std::string split() const { return root + "/split.json"; }
  std::string dataset() const { return root + "/dataset.json"; }
  std::string prepare_skips() const { return root + "/prepare_skips.tsv"; }
  std::string features() const { return root + "/features"; }
  std::string factors() const { return root + "/factors"; }
  std::string factor_file(char kind, const char* suffix) const {  // factor_file('m', "_summary.md")
    return factors() + "/" + std::string(1, kind) + suffix;
  }
  std::string factor_targets(char kind) const { return factor_file(kind, ".safetensors"); }
  std::string runs() const { return root + "/runs"; }
  std::string run(const std::string& net) const { return runs() + "/" + net; }
  std::string experiment(size_t n_seeds) const { return root + (n_seeds > 1 ? "/experiment-seeds" : "/experiment"); }
};

}  // namespace agf
