// The transfer's feature matrices: each source net's features of a list of windows, cached next to the net
// (RUN/features/<key>.safetensors, the key a fingerprint of the net's file, the mel store and the windows), so
// the 31 STN combinations of the grid extract each net's features once; and the nets' features concatenated.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "agf/train/features.h"
#include "agf/train/session.h"

namespace agf {

// 16 lower-case hex digits.
std::string hex64(uint64_t v);
// Of the store's feature parameters, standardisation, and every track's id and length.
uint64_t store_fingerprint(const MelStore& s);

// (windows, feature_dim) features of one source net, read from its cache when present (`what` names them in
// the progress line and the file's metadata); cache false: neither read nor written.
std::vector<float> cached_features(const SourceNet& net, const Compute& compute, const MelStore& store,
                                   const std::vector<Window>& windows, int frames, const std::string& what, bool quiet,
                                   bool cache);
// Concatenates per-net feature blocks (each (n, dims[k])) into (n, sum of dims).
std::vector<float> concat_features(const std::vector<std::vector<float>>& blocks, const std::vector<int64_t>& dims,
                                   int64_t n);

// A list of windows whose features are wanted, and its name.
struct WindowSet {
  const std::vector<Window>* windows;
  std::string what;
};
// Every net's features of each set, concatenated over the nets: per set, (windows, sum of the nets' dims).
// Each net's sets are extracted together, in order, before the next net's.
std::vector<std::vector<float>> nets_features(const std::vector<SourceNet>& nets, const Compute& compute,
                                              const MelStore& store, const std::vector<WindowSet>& sets, int frames,
                                              bool quiet, bool cache);

}  // namespace agf
