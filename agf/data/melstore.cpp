// The mel store reader (memory-mapped through engine/safetensors.h) and its streaming writer: the
// file is written header first, then each tensor, so a store larger than memory (fma_full) never
// has to be held at once. Layout documented in melstore.h.
#include "agf/data/melstore.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/fs.h"
#include "util/half.h"
#include "engine/safetensors.h"
#include "agf/data/workdir.h"

namespace agf {

std::string melstore_path(const std::string& work_dir) { return WorkDir(work_dir).mels(); }

MelStore::MelStore(MelStore&&) noexcept = default;
MelStore& MelStore::operator=(MelStore&&) noexcept = default;
MelStore::~MelStore() = default;

MelStore MelStore::open(const std::string& work_dir) { return open_file(melstore_path(work_dir)); }

namespace {
std::vector<int64_t> i64_vec(const SafetensorsFile& f, const char* name, int64_t n, const std::string& path) {
  StView v = f.get(name);
  AGF_CHECK(v.dtype == StDType::I64 && v.shape.size() == 1 && v.shape[0] == n, FormatError, "mel store '", path,
            "': tensor ", name, " must be I64 (", n, ")");
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (n) std::memcpy(out.data(), v.data, size_t(n) * 8);
  return out;
}
std::vector<float> f32_vec(const SafetensorsFile& f, const char* name, int n, const std::string& path) {
  StView v = f.get(name);
  AGF_CHECK(v.dtype == StDType::F32 && v.shape.size() == 1 && v.shape[0] == n, FormatError, "mel store '", path,
            "': tensor ", name, " must be F32 (", n, ")");
  std::vector<float> out(static_cast<size_t>(n));
  std::memcpy(out.data(), v.data, size_t(n) * 4);
  return out;
}
}  // namespace

MelStore MelStore::open_file(const std::string& path) {
  MelStore s;
  s.file_ = std::make_unique<SafetensorsFile>(SafetensorsFile::open(path));
  const SafetensorsFile& f = *s.file_;
  StView fr = f.get("frames");
  AGF_CHECK((fr.dtype == StDType::F16 || fr.dtype == StDType::F32) && fr.shape.size() == 2, FormatError, "mel store '",
            path, "': frames must be F16 or F32 (total_frames, n_mels)");
  s.f16_ = fr.dtype == StDType::F16;
  s.total_frames_ = fr.shape[0];
  s.n_mels_ = int(fr.shape[1]);
  s.frames_ = fr.data;
  StView ids = f.get("track_ids");
  AGF_CHECK(ids.shape.size() == 1, FormatError, "mel store '", path, "': track_ids must be 1-D");
  const int64_t n = ids.shape[0];
  s.ids_ = i64_vec(f, "track_ids", n, path);
  s.offsets_ = i64_vec(f, "offsets", n, path);
  s.counts_ = i64_vec(f, "n_frames", n, path);
  s.mean_ = f32_vec(f, "mean", s.n_mels_, path);
  s.std_ = f32_vec(f, "std", s.n_mels_, path);
  for (int64_t i = 0; i < n; ++i) {
    AGF_CHECK(s.offsets_[i] >= 0 && s.counts_[i] >= 0 && s.offsets_[i] + s.counts_[i] <= s.total_frames_, FormatError,
              "mel store '", path, "': track ", i, " (id ", s.ids_[i], ") frames [", s.offsets_[i], ", +", s.counts_[i],
              ") outside the ", s.total_frames_, " stored frames");
    AGF_CHECK(s.index_.emplace(s.ids_[i], i).second, FormatError, "mel store '", path, "': duplicate track id ",
              s.ids_[i]);
  }
  for (int m = 0; m < s.n_mels_; ++m) {
    AGF_CHECK(std::isfinite(s.std_[m]) && s.std_[m] > 0 && std::isfinite(s.mean_[m]), FormatError, "mel store '", path,
              "': mean/std of mel bin ", m, " are not finite and positive");
    s.inv_std_.push_back(1.f / s.std_[m]);
  }
  auto it = f.metadata().find("params");
  s.params_ = it == f.metadata().end() ? "{}" : it->second;
  return s;
}

const std::map<std::string, std::string>& MelStore::metadata() const { return file_->metadata(); }

int64_t MelStore::track_id(int64_t i) const {
  AGF_CHECK(i >= 0 && i < num_tracks(), ShapeError, "MelStore::track_id: index ", i, " of ", num_tracks());
  return ids_[i];
}

int MelStore::frames(int64_t i) const {
  AGF_CHECK(i >= 0 && i < num_tracks(), ShapeError, "MelStore::frames: index ", i, " of ", num_tracks());
  return int(counts_[i]);
}

int64_t MelStore::index_of(int64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

void MelStore::raw_frames(int64_t i, int start, int n, float* out) const {
  AGF_CHECK(i >= 0 && i < num_tracks(), ShapeError, "MelStore: track index ", i, " of ", num_tracks());
  AGF_CHECK(start >= 0 && n >= 0 && int64_t(start) + n <= counts_[i], ShapeError, "MelStore: frames [", start, ", ",
            start + n, ") outside track ", ids_[i], " of ", counts_[i], " frames");
  const size_t base = size_t(offsets_[i] + start) * n_mels_, count = size_t(n) * n_mels_;
  if (f16_) {
    const uint16_t* h = static_cast<const uint16_t*>(frames_) + base;  // (frames, n_mels)
    for (size_t k = 0; k < count; ++k) out[k] = half_to_float(h[k]);
  } else {
    std::memcpy(out, static_cast<const float*>(frames_) + base, count * 4);
  }
}

void MelStore::segment(int64_t i, int start, int n, float* out) const {
  AGF_CHECK(i >= 0 && i < num_tracks(), ShapeError, "MelStore::segment: track index ", i, " of ", num_tracks());
  AGF_CHECK(start >= 0 && n > 0 && int64_t(start) + n <= counts_[i], ShapeError, "MelStore::segment: frames [", start,
            ", ", int64_t(start) + n, ") outside track ", ids_[i], " of ", counts_[i], " frames");
  const size_t base = size_t(offsets_[i] + start) * n_mels_;
  for (int t = 0; t < n; ++t)
    for (int m = 0; m < n_mels_; ++m) {
      const size_t k = base + size_t(t) * n_mels_ + m;
      float x = f16_ ? half_to_float(static_cast<const uint16_t*>(frames_)[k]) : static_cast<const float*>(frames_)[k];
      out[size_t(m) * n + t] = (x - mean_[m]) * inv_std_[m];
    }
}

void write_melstore(const std::string& path, const MelStoreWriteSpec& spec,
                    const std::function<void(int64_t, std::vector<float>*)>& track_frames) {
  const int64_t n = int64_t(spec.track_ids.size());
  AGF_CHECK(spec.n_mels > 0 && int64_t(spec.n_frames.size()) == n && int(spec.mean.size()) == spec.n_mels &&
                int(spec.stdev.size()) == spec.n_mels,
            ShapeError, "write_melstore: inconsistent spec for '", path, "'");
  std::vector<int64_t> offsets(static_cast<size_t>(n));
  int64_t total = 0;
  for (int64_t k = 0; k < n; ++k) {
    offsets[k] = total;
    total += spec.n_frames[k];
  }
  const size_t esize = spec.float16 ? 2 : 4;
  // Header: I64 tensors first, then F32, then the frames, consecutive (8-byte aligned starts).
  nlohmann::json h;
  size_t off = 0;
  auto put = [&](const char* name, const char* dtype, std::vector<int64_t> shape, size_t bytes) {
    h[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {off, off + bytes}}};
    off += bytes;
  };
  put("n_frames", "I64", {n}, size_t(n) * 8);
  put("offsets", "I64", {n}, size_t(n) * 8);
  put("track_ids", "I64", {n}, size_t(n) * 8);
  put("mean", "F32", {spec.n_mels}, size_t(spec.n_mels) * 4);
  put("std", "F32", {spec.n_mels}, size_t(spec.n_mels) * 4);
  put("frames", spec.float16 ? "F16" : "F32", {total, spec.n_mels}, size_t(total) * spec.n_mels * esize);
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& kv : spec.metadata) meta[kv.first] = kv.second;
  meta["n_mels"] = std::to_string(spec.n_mels);
  meta["dtype"] = spec.float16 ? "float16" : "float32";
  meta["layout"] = "frames (total_frames, n_mels) frame-major; track k at offsets[k], n_frames[k]";
  h["__metadata__"] = meta;
  std::string hs = h.dump();
  hs.append((8 - hs.size() % 8) % 8, ' ');
  unsigned char len[8];
  for (int b = 0; b < 8; ++b) len[b] = static_cast<unsigned char>((uint64_t(hs.size()) >> (8 * b)) & 0xff);
  write_file_atomic(path, [&](std::FILE* f) {
    write_all(f, len, 8, path);
    write_all(f, hs.data(), hs.size(), path);
    write_all(f, spec.n_frames.data(), size_t(n) * 8, path);
    write_all(f, offsets.data(), size_t(n) * 8, path);
    write_all(f, spec.track_ids.data(), size_t(n) * 8, path);
    write_all(f, spec.mean.data(), size_t(spec.n_mels) * 4, path);
    write_all(f, spec.stdev.data(), size_t(spec.n_mels) * 4, path);
    std::vector<float> buf;
    std::vector<uint16_t> hbuf;
    for (int64_t k = 0; k < n; ++k) {
      buf.clear();
      track_frames(k, &buf);
      AGF_CHECK(int64_t(buf.size()) == spec.n_frames[k] * spec.n_mels, ShapeError, "write_melstore: track ",
                spec.track_ids[k], " gave ", buf.size(), " values, expected (", spec.n_frames[k], ", ", spec.n_mels,
                ")");
      if (spec.float16) {
        hbuf.resize(buf.size());
        for (size_t j = 0; j < buf.size(); ++j) hbuf[j] = float_to_half(buf[j]);
        write_all(f, hbuf.data(), hbuf.size() * 2, path);
      } else {
        write_all(f, buf.data(), buf.size() * 4, path);
      }
    }
  });
}

}  // namespace agf
