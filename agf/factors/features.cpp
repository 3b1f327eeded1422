// Track features for the factors (see features.h): librosa-like MFCC (agf/audio/mfcc.h) and the
// song-level descriptors (agf/audio/descriptors.h), from one decode at 22,050 Hz, cached as safetensors.
#include "agf/factors/features.h"

#include <sys/stat.h>
#include "agf/audio/decode.h"
#include "agf/audio/mfcc.h"
#include "agf/data/fma.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/parallel.h"
#include "util/progress.h"
#include "engine/safetensors.h"
#if __has_include("agf/audio/descriptors.h")
#include "agf/audio/descriptors.h"
#define AGF_FACTORS_HAVE_DESCRIPTORS 1
#endif

namespace agf {

bool have_song_descriptors() {
#ifdef AGF_FACTORS_HAVE_DESCRIPTORS
  return true;
#else
  return false;
#endif
}

std::vector<std::string> song_descriptor_names() {
#ifdef AGF_FACTORS_HAVE_DESCRIPTORS
  return descriptor_names();
#else
  return {};
#endif
}

namespace {

bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The authors' settings: 13 (or the paper's 25) coefficients from 40 mels, n_fft 2048, hop 1024, 22,050 Hz.
MfccParams mfcc_params(const FeatureRequest& req) {
  MfccParams p;
  p.n_mfcc = req.n_mfcc;
  return p;
}

std::string params_tag(const FeatureRequest& req) {
  const MfccParams p = mfcc_params(req);
  return str("sr=", p.sr, ",n_fft=", p.n_fft, ",hop=", p.hop_length, ",n_mels=", p.n_mels, ",n_mfcc=", p.n_mfcc);
}

// Reads the cache; true when it holds everything requested with the current parameters.
bool read_cache(const std::string& path, const FeatureRequest& req, TrackFeatures* f) {
  if (!file_exists(path)) return false;
  try {
    auto st = SafetensorsFile::open(path);
    auto it = st.metadata().find("mfcc_params");
    if (it == st.metadata().end() || it->second != params_tag(req)) return false;
    if (req.mfcc) {
      if (!st.has("mfcc")) return false;
      auto v = st.get("mfcc");
      if (v.dtype != StDType::F32 || v.shape.size() != 2) return false;
      f->n_mfcc = static_cast<int>(v.shape[0]);
      f->frames = static_cast<int>(v.shape[1]);
      const float* p = static_cast<const float*>(v.data);
      f->mfcc.assign(p, p + v.nbytes / sizeof(float));
    }
    if (req.descriptors) {
      if (!st.has("descriptors")) return false;
      auto v = st.get("descriptors");
      if (v.dtype != StDType::F32 || v.shape.size() != 1 ||
          v.shape[0] != static_cast<int64_t>(song_descriptor_names().size()))
        return false;
      const float* p = static_cast<const float*>(v.data);
      f->desc.assign(p, p + v.shape[0]);
    }
    f->ok = true;
    return true;
  } catch (const Error&) {
    return false;  // a damaged cache entry is recomputed
  }
}

void compute_one(int64_t id, const FeatureRequest& req, TrackFeatures* f) {
  f->track_id = id;
  const std::string cache = req.cache_dir.empty() ? "" : req.cache_dir + "/" + std::to_string(id) + ".safetensors";
  if (!cache.empty() && read_cache(cache, req, f)) return;
  try {
    const std::string path = find_audio_path(req.audio_dir, id);
    AGF_CHECK(!path.empty(), IOError, "no audio file for track ", id, " under ", req.audio_dir, "/",
              fma_audio_relpath(id, "{mp3,flac,wav,ogg}"));
    const MfccParams mp = mfcc_params(req);
    const std::vector<float> y = load_audio(path, mp.sr);
    // always compute the MFCC (cheap next to decoding) so the cache serves every kind later
    f->mfcc = mfcc(y, mp, &f->frames);
    f->n_mfcc = mp.n_mfcc;
    AGF_CHECK(f->frames >= 2, FormatError, "track ", id, " (", path, "): only ", f->frames, " MFCC frames");
    if (req.descriptors) {
#ifdef AGF_FACTORS_HAVE_DESCRIPTORS
      f->desc = song_descriptors(y, mp.sr);
#else
      throw UsageError("song-level descriptors are not in this build (agf/audio/descriptors.h)");
#endif
    }
    f->ok = true;
    if (!cache.empty()) {
      std::vector<StView> t{{"mfcc", StDType::F32, {f->n_mfcc, f->frames}, f->mfcc.data(), f->mfcc.size() * 4}};
      if (req.descriptors)
        t.push_back(
            {"descriptors", StDType::F32, {static_cast<int64_t>(f->desc.size())}, f->desc.data(), f->desc.size() * 4});
      write_safetensors(cache, t, {{"mfcc_params", params_tag(req)}, {"track_id", std::to_string(id)}});
    }
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    f->ok = false;
    f->error = e.what();
    f->mfcc.clear();
    f->desc.clear();
  }
}

}  // namespace

std::vector<TrackFeatures> compute_track_features(const std::vector<int64_t>& ids, const FeatureRequest& req) {
  AGF_CHECK(req.n_mfcc == 13 || req.n_mfcc == 25, UsageError,
            "features: --n-mfcc must be 13 (the authors' code) or 25 "
            "(the paper's Table 1), got ",
            req.n_mfcc);
  if (!req.cache_dir.empty()) ensure_dir(req.cache_dir);
  std::vector<TrackFeatures> out(ids.size());
  Progress prog("features", static_cast<int64_t>(ids.size()), "tracks", !req.verbose);
  parallel_for(
      ids.size(), req.threads, [&](size_t i) { compute_one(ids[i], req, &out[i]); }, &prog);
  int bad = 0;
  for (const auto& f : out) bad += !f.ok;
  prog.finish(str(ids.size() - bad, " tracks with features, ", bad, " without"));
  return out;
}

}  // namespace agf
