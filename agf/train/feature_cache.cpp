// Cached source-net features and their concatenation (see feature_cache.h).
#include "agf/train/feature_cache.h"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/fs.h"
#include "util/progress.h"
#include "engine/safetensors.h"

namespace agf {

namespace {

uint64_t windows_fingerprint(const std::vector<Window>& windows, int frames) {
  uint64_t h = fnv1a64(&frames, sizeof frames);
  for (const Window& w : windows) {
    const int64_t v[2] = {w.track, w.start};
    h = fnv1a64(v, sizeof v, h);
  }
  return h;
}

}  // namespace

std::string hex64(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

uint64_t store_fingerprint(const MelStore& s) {
  uint64_t h = fnv1a64(s.params_json());
  h = fnv1a64(s.mean().data(), s.mean().size() * sizeof(float), h);
  h = fnv1a64(s.stdev().data(), s.stdev().size() * sizeof(float), h);
  for (int64_t i = 0; i < s.num_tracks(); ++i) {
    const int64_t v[2] = {s.track_id(i), s.frames(i)};
    h = fnv1a64(v, sizeof v, h);
  }
  return h;
}

std::vector<float> cached_features(const SourceNet& net, const Compute& compute, const MelStore& store,
                                   const std::vector<Window>& windows, int frames, const std::string& what, bool quiet,
                                   bool cache) {
  const uint64_t key = fnv1a64(&net.fingerprint, sizeof net.fingerprint, store_fingerprint(store)) ^
                       windows_fingerprint(windows, frames);
  const std::string dir = net.run_dir + "/features";
  const std::string path = dir + "/" + hex64(key) + ".safetensors";
  const int64_t dim = net.feature_dim();
  if (cache && std::filesystem::exists(path)) {
    try {
      SafetensorsFile f = SafetensorsFile::open(path);
      StView v = f.get("features");
      if (v.dtype == StDType::F32 && v.shape.size() == 2 && v.shape[0] == int64_t(windows.size()) &&
          v.shape[1] == dim) {
        std::vector<float> out(size_t(v.shape[0] * v.shape[1]));
        std::memcpy(out.data(), v.data, v.nbytes);
        return out;
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "transfer: feature cache %s unusable (%s); recomputing\n", path.c_str(), e.what());
    }
  }
  const int mels = store.n_mels();
  Progress prog(str("features ", net.name, " (", what, ")"), int64_t(windows.size()), "windows", quiet);
  std::vector<float> out = net_features(
      net, compute, int64_t(windows.size()), mels, frames,
      [&](int64_t i0, int n, float* x) { fill_windows(store, windows.data() + i0, n, frames, x); }, &prog);
  prog.finish();
  if (!cache) return out;
  ensure_dir(dir);
  write_safetensors(path, {{"features", StDType::F32, {int64_t(windows.size()), dim}, out.data(), out.size() * 4}},
                    {{"net", net.model_path}, {"windows", std::to_string(windows.size())}, {"what", what}});
  return out;
}

std::vector<float> concat_features(const std::vector<std::vector<float>>& blocks, const std::vector<int64_t>& dims,
                                   int64_t n) {
  int64_t total = 0;
  for (int64_t d : dims) total += d;
  std::vector<float> out(size_t(n * total));
  int64_t offset = 0;
  for (size_t k = 0; k < blocks.size(); ++k) {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out.data() + i * total + offset, blocks[k].data() + i * dims[k], sizeof(float) * size_t(dims[k]));
    offset += dims[k];
  }
  return out;
}

std::vector<std::vector<float>> nets_features(const std::vector<SourceNet>& nets, const Compute& compute,
                                              const MelStore& store, const std::vector<WindowSet>& sets, int frames,
                                              bool quiet, bool cache) {
  std::vector<std::vector<std::vector<float>>> blocks(sets.size());  // per set, per net
  std::vector<int64_t> dims;
  for (const SourceNet& net : nets) {
    for (size_t s = 0; s < sets.size(); ++s)
      blocks[s].push_back(cached_features(net, compute, store, *sets[s].windows, frames, sets[s].what, quiet, cache));
    dims.push_back(net.feature_dim());
  }
  std::vector<std::vector<float>> out;
  for (size_t s = 0; s < sets.size(); ++s) {
    out.push_back(concat_features(blocks[s], dims, int64_t(sets[s].windows->size())));
    blocks[s].clear();
  }
  return out;
}

}  // namespace agf
