// `agf prepare` (see prepare.h). Tracks (sorted by id) are cut into chunks of chunk_tracks; worker
// threads take chunks, decode and compute mels, and write WORK/mel_parts/part_NNNNN.safetensors
// atomically with the chunk's ids, params and skips in its metadata. A re-run keeps every part whose
// metadata matches, so an interrupted run finishes only the rest. The store is then assembled from
// the parts, with mean/std per mel bin over the training split's frames.
#include "agf/data/prepare.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "agf/audio/decode.h"
#include "agf/audio/mel_gpu.h"
#include "agf/data/fma.h"
#include "agf/data/melstore.h"
#include "agf/data/split.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/half.h"
#include "util/parallel.h"
#include "util/progress.h"
#include "engine/compute.h"
#include "engine/safetensors.h"
#include "agf/data/workdir.h"

namespace agf {

std::string unusable_reason(const std::vector<float>& y, const MelParams& p, int min_frames) {
  float peak = 0.f;
  for (float v : y) peak = std::max(peak, std::fabs(v));
  if (peak < 1e-4f) return str("silent (peak ", peak, " < 1e-4, -80 dBFS)");
  const int frames = mel_num_frames(int64_t(y.size()), p);
  if (frames < min_frames)
    return str("too short: ", frames, " frames (", double(y.size()) / p.sr, " s) < one ", min_frames, "-frame segment");
  return "";
}

namespace {

struct Skip {
  int64_t id;
  std::string path, reason;
};

std::string part_path(const std::string& work, size_t k) { return WorkDir(work).mel_part(k); }

// What a part must record to be reused: the feature parameters and storage dtype, and its ids.
std::string part_signature(const PrepareOptions& o) {
  nlohmann::json j = nlohmann::json::parse(o.mel.to_json());
  j["dtype"] = o.float32 ? "float32" : "float16";
  j["min_frames"] = o.min_frames;
  return j.dump();
}

bool part_is_done(const std::string& path, const std::string& signature, const std::string& ids_json) {
  if (!std::filesystem::exists(path)) return false;
  SafetensorsFile f = SafetensorsFile::open(path);  // FormatError if damaged: a real problem, say so
  const auto& md = f.metadata();
  auto sig = md.find("signature"), ids = md.find("ids");
  AGF_CHECK(sig != md.end() && ids != md.end(), FormatError, "prepare: part '", path, "' lacks its metadata");
  AGF_CHECK(sig->second == signature, UsageError, "prepare: '", path,
            "' was made with other feature parameters; use a new --work folder or delete its mel_parts/ "
            "and mels.safetensors (",
            sig->second, " vs ", signature, ")");
  AGF_CHECK(ids->second == ids_json, UsageError, "prepare: '", path,
            "' holds other tracks (different subset or audio); use a new --work folder");
  return true;
}

void process_chunk(const PrepareOptions& o, const std::vector<int64_t>& ids, const std::string& path,
                   const std::string& signature, bool use_gpu, std::mutex& gpu_mu, std::atomic<int64_t>& done) {
  std::vector<Skip> skips;
  std::vector<int64_t> kept_ids;
  std::vector<std::vector<float>> signals;
  std::vector<std::string> paths;
  for (int64_t id : ids) {
    std::string audio = find_audio_path(o.audio_dir, id);
    if (audio.empty()) {
      skips.push_back({id, o.audio_dir + "/" + fma_audio_relpath(id), "missing audio file"});
      ++done;
      continue;
    }
    try {
      std::vector<float> y = load_audio(audio, o.mel.sr);
      std::string why = unusable_reason(y, o.mel, o.min_frames);
      if (!why.empty()) {
        skips.push_back({id, audio, why});
        ++done;
        continue;
      }
      kept_ids.push_back(id);
      paths.push_back(audio);
      signals.push_back(std::move(y));
    } catch (const Error& e) {
      skips.push_back({id, audio, e.what()});
      ++done;
    } catch (const std::bad_alloc&) {
      skips.push_back({id, audio, "out of memory while decoding"});
      ++done;
    }
  }
  std::vector<std::vector<float>> mels(signals.size());
  if (use_gpu && !signals.empty()) {
    std::vector<const std::vector<float>*> ptrs;
    for (auto& s : signals) ptrs.push_back(&s);
    std::lock_guard<std::mutex> lock(gpu_mu);
    mels = mel_frames_batch_gpu(ptrs, o.mel);
  } else {
    for (size_t k = 0; k < signals.size(); ++k)
      mel_spectrogram_frames(signals[k].data(), int64_t(signals[k].size()), o.mel, &mels[k]);
  }
  signals.clear();
  const int n_mels = o.mel.n_mels;
  std::vector<int64_t> counts;
  size_t total = 0;
  for (auto& m : mels) {
    counts.push_back(int64_t(m.size() / n_mels));
    total += m.size();
  }
  std::vector<float> f32;
  std::vector<uint16_t> f16;
  if (o.float32)
    f32.reserve(total);
  else
    f16.reserve(total);
  for (auto& m : mels) {
    for (float v : m) {
      if (o.float32)
        f32.push_back(v);
      else
        f16.push_back(float_to_half(v));
    }
    m.clear();
    m.shrink_to_fit();
  }
  done += int64_t(kept_ids.size());
  nlohmann::json jskips = nlohmann::json::array();
  for (const Skip& s : skips) jskips.push_back({{"id", s.id}, {"path", s.path}, {"reason", s.reason}});
  const int64_t n = int64_t(kept_ids.size()), tf = int64_t(total / n_mels);
  std::vector<StView> views = {{"track_ids", StDType::I64, {n}, kept_ids.data(), size_t(n) * 8},
                               {"n_frames", StDType::I64, {n}, counts.data(), size_t(n) * 8},
                               o.float32 ? StView{"frames", StDType::F32, {tf, n_mels}, f32.data(), total * 4}
                                         : StView{"frames", StDType::F16, {tf, n_mels}, f16.data(), total * 2}};
  write_safetensors(path, views,
                    {{"signature", signature}, {"ids", nlohmann::json(ids).dump()}, {"skips", jskips.dump()}});
}

// The split: WORK/split.json when present (resumption; its kind must be the one asked), else made and saved.
Split load_or_make_split(const PrepareOptions& o, const std::vector<const Track*>& tracks) {
  const std::string split_path = WorkDir(o.work_dir).split();
  Split split;
  if (std::filesystem::exists(split_path)) {
    split = load_split(split_path);
    AGF_CHECK(split.kind == split_kind_name(parse_split_kind(o.split)), UsageError, "prepare: ", split_path, " is a '",
              split.kind, "' split but --split ", o.split, " was asked; use a new --work folder");
  } else {
    split = make_split(tracks, parse_split_kind(o.split), o.seed);
    save_split(split_path, split);
  }
  return split;
}

// The tracks (sorted by id) cut into chunks of chunk_tracks, and which of them still need their part.
struct ChunkPlan {
  std::vector<int64_t> ids;                  // every track, ascending
  std::vector<std::vector<int64_t>> chunks;  // chunk k's ids -> WORK/mel_parts/part_k
  std::vector<size_t> todo;                  // chunks without a finished part
  int64_t already = 0;                       // tracks in finished parts
};

ChunkPlan plan_chunks(const PrepareOptions& o, const std::vector<const Track*>& tracks, const std::string& signature) {
  ChunkPlan p;
  for (const Track* t : tracks) p.ids.push_back(t->id);
  std::sort(p.ids.begin(), p.ids.end());
  const std::vector<int64_t>& ids = p.ids;
  const size_t n_chunks = (ids.size() + o.chunk_tracks - 1) / o.chunk_tracks;
  p.chunks.resize(n_chunks);
  for (size_t k = 0; k < n_chunks; ++k) {
    p.chunks[k].assign(ids.begin() + k * o.chunk_tracks, ids.begin() + std::min(ids.size(), (k + 1) * o.chunk_tracks));
    if (part_is_done(part_path(o.work_dir, k), signature, nlohmann::json(p.chunks[k]).dump()))
      p.already += int64_t(p.chunks[k].size());
    else
      p.todo.push_back(k);
  }
  return p;
}

// The finished parts, open, and where each stored track's frames are in them (in track id order).
struct PartIndex {
  struct Loc {
    size_t part;
    int64_t row_offset, frames, id;
  };
  std::vector<SafetensorsFile> parts;
  std::vector<Loc> locs;
  int n_mels = 0;
  // One track's frames as float32, (frames, n_mels).
  void read_track(const Loc& L, std::vector<float>* out) const {
    StView fr = parts[L.part].get("frames");
    const size_t base = size_t(L.row_offset) * n_mels, cnt = size_t(L.frames) * n_mels;
    out->resize(cnt);
    if (fr.dtype == StDType::F16) {
      const uint16_t* h = static_cast<const uint16_t*>(fr.data) + base;
      for (size_t j = 0; j < cnt; ++j) (*out)[j] = half_to_float(h[j]);
    } else {
      std::copy_n(static_cast<const float*>(fr.data) + base, cnt, out->data());
    }
  }
};

// Opens every part; appends the skips recorded in their metadata to *skips.
PartIndex open_parts(const PrepareOptions& o, size_t n_chunks, std::vector<Skip>* skips) {
  PartIndex ix;
  ix.n_mels = o.mel.n_mels;
  for (size_t k = 0; k < n_chunks; ++k) {
    ix.parts.push_back(SafetensorsFile::open(part_path(o.work_dir, k)));
    const SafetensorsFile& f = ix.parts.back();
    for (const auto& s : nlohmann::json::parse(f.metadata().at("skips")))
      skips->push_back({s.at("id").get<int64_t>(), s.at("path").get<std::string>(), s.at("reason").get<std::string>()});
    StView tid = f.get("track_ids"), nf = f.get("n_frames");
    const int64_t* tids = static_cast<const int64_t*>(tid.data);
    const int64_t* nfs = static_cast<const int64_t*>(nf.data);
    int64_t row = 0;
    for (int64_t i = 0; i < tid.shape[0]; ++i) {
      ix.locs.push_back({k, row, nfs[i], tids[i]});
      row += nfs[i];
    }
  }
  return ix;
}

// Writes the mel store from the parts, with mean/std per mel bin over the training split's frames.
void write_store(const PrepareOptions& o, const PartIndex& ix, const Split& split) {
  const int n_mels = ix.n_mels;
  std::set<int64_t> train(split.train.begin(), split.train.end());
  std::vector<double> sum(n_mels, 0.0), sum2(n_mels, 0.0);
  int64_t n_stat = 0;
  std::vector<float> buf;
  for (const PartIndex::Loc& L : ix.locs) {
    if (!train.count(L.id)) continue;
    ix.read_track(L, &buf);
    for (int64_t t = 0; t < L.frames; ++t)
      for (int m = 0; m < n_mels; ++m) {
        const double v = buf[size_t(t) * n_mels + m];
        sum[m] += v;
        sum2[m] += v * v;
      }
    n_stat += L.frames;
  }
  MelStoreWriteSpec spec;
  spec.n_mels = n_mels;
  spec.float16 = !o.float32;
  for (const PartIndex::Loc& L : ix.locs) {
    spec.track_ids.push_back(L.id);
    spec.n_frames.push_back(L.frames);
  }
  for (int m = 0; m < n_mels; ++m) {
    double mean = n_stat ? sum[m] / n_stat : 0.0;
    double var = n_stat ? std::max(0.0, sum2[m] / n_stat - mean * mean) : 1.0;
    double sd = std::sqrt(var);
    spec.mean.push_back(float(mean));
    spec.stdev.push_back(sd > 1e-6 ? float(sd) : 1.f);  // a constant bin: leave it unscaled
  }
  spec.metadata = {{"params", o.mel.to_json()},
                   {"split", split.kind},
                   {"subset", o.subset},
                   {"stats_frames", std::to_string(n_stat)},
                   {"stats_over", "training split"}};
  write_melstore(melstore_path(o.work_dir), spec,
                 [&](int64_t k, std::vector<float>* out) { ix.read_track(ix.locs[k], out); });
}

// WORK/prepare_skips.tsv: the known-bad tracks first (the first n_known skips), then the others by id.
void write_skip_report(const PrepareOptions& o, std::vector<Skip> skips, size_t n_known) {
  std::string report = "track_id\tpath\treason\n";
  std::sort(skips.begin() + n_known, skips.end(), [](const Skip& a, const Skip& b) { return a.id < b.id; });
  for (const Skip& s : skips) {
    std::string reason = s.reason;
    std::replace(reason.begin(), reason.end(), '\t', ' ');
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    report += str(s.id, "\t", s.path, "\t", reason, "\n");
  }
  write_file_atomic(WorkDir(o.work_dir).prepare_skips(), report);
}

// The closing line (tracks stored, frames, hours, skips); 3 when more than --max-fail of the tracks failed.
int print_summary(const PrepareOptions& o, const std::vector<PartIndex::Loc>& locs, size_t n_skipped, size_t n_known,
                  int64_t n_total) {
  const int64_t n_failed = int64_t(n_skipped);
  int64_t total_frames = 0;
  for (const PartIndex::Loc& L : locs) total_frames += L.frames;
  const double frac = n_total ? double(n_failed) / double(n_total) : 0.0;
  std::fprintf(stderr,
               "prepare: %zu tracks stored (%lld frames, %.1f h), %lld skipped (%.2f %%) + %zu known bad; "
               "store %s; skips in %s/prepare_skips.tsv\n",
               locs.size(), (long long)total_frames, double(total_frames) * o.mel.hop_length / o.mel.sr / 3600.0,
               (long long)n_failed, 100.0 * frac, n_known, melstore_path(o.work_dir).c_str(), o.work_dir.c_str());
  if (frac > o.max_fail_fraction) {
    std::fprintf(stderr, "prepare: error: %.2f %% of tracks failed, more than the allowed %.2f %% (--max-fail)\n",
                 100.0 * frac, 100.0 * o.max_fail_fraction);
    return 3;
  }
  return 0;
}

}  // namespace

int run_prepare(const PrepareOptions& o) {
  AGF_CHECK(!o.work_dir.empty(), UsageError, "prepare: --work is required");
  AGF_CHECK(!o.metadata_dir.empty() && !o.audio_dir.empty(), UsageError,
            "prepare: --metadata and --audio are required");
  AGF_CHECK(o.max_fail_fraction >= 0 && o.max_fail_fraction <= 1, UsageError, "prepare: --max-fail must be in [0, 1]");
  AGF_CHECK(o.chunk_tracks >= 1, UsageError, "prepare: chunk size must be >= 1");
  const bool use_gpu = resolve_device(o.device, "prepare") == Device::CUDA;
  o.mel.validate();
  ensure_dir(o.work_dir);
  ensure_dir(WorkDir(o.work_dir).mel_parts());

  FmaMetadata meta = load_fma_metadata(o.metadata_dir);
  std::vector<const Track*> tracks = select_subset(meta, o.subset);
  std::vector<int64_t> known_bad = remove_known_bad(tracks);
  AGF_CHECK(!tracks.empty(), UsageError, "prepare: subset '", o.subset, "' of ", o.metadata_dir, " has no tracks");
  const Split split = load_or_make_split(o, tracks);
  nlohmann::json ds = {{"metadata_dir", o.metadata_dir},
                       {"audio_dir", o.audio_dir},
                       {"subset", o.subset},
                       {"split", o.split},
                       {"seed", o.seed}};
  write_file_atomic(WorkDir(o.work_dir).dataset(), ds.dump(1) + "\n");

  const std::string signature = part_signature(o);
  const ChunkPlan plan = plan_chunks(o, tracks, signature);
  const std::vector<int64_t>& ids = plan.ids;
  const std::vector<std::vector<int64_t>>& chunks = plan.chunks;
  const std::vector<size_t>& todo = plan.todo;
  const size_t n_chunks = chunks.size();
  const int64_t already = plan.already;
  if (!o.quiet)
    std::fprintf(stderr, "prepare: %zu tracks (%s), %zu chunks, %zu to do, mels on %s\n", ids.size(), o.subset.c_str(),
                 n_chunks, todo.size(), use_gpu ? "GPU" : "CPU");

  // Workers take chunks; progress counts tracks; the first error stops the run.
  std::atomic<int64_t> done{0};
  std::mutex gpu_mu;
  {
    Progress progress("prepare", int64_t(ids.size()) - already, "tracks", o.quiet);
    parallel_for(
        todo.size(), o.threads,
        [&](size_t j) {
      try {
        process_chunk(o, chunks[todo[j]], part_path(o.work_dir, todo[j]), signature, use_gpu, gpu_mu, done);
      } catch (const std::exception& e) {
        throw Error(
            str("prepare: stopped (finished parts are kept; re-run to resume): chunk ", todo[j], ": ", e.what()));
      }
        },
        &progress, &done);
    progress.finish();
  }

  // Assemble: open every part, list tracks and skips, compute training-split statistics.
  std::vector<Skip> skips;
  for (int64_t id : known_bad) skips.push_back({id, find_audio_path(o.audio_dir, id), "known to hold no audio (FMA)"});
  const size_t n_known = skips.size();
  const PartIndex ix = open_parts(o, n_chunks, &skips);
  write_store(o, ix, split);

  // Skip report and summary.
  write_skip_report(o, skips, n_known);
  return print_summary(o, ix.locs, skips.size() - n_known, n_known, int64_t(ids.size()));
}

}  // namespace agf
