// Shared pieces of training, transfer and prediction (see session.h).
#include "agf/train/session.h"
#include "layers/tasks.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "agf/data/fma.h"
#include "agf/factors/factors.h"
#include "util/half.h"
#include "util/json.h"
#include "engine/safetensors.h"
#include "agf/data/workdir.h"

namespace agf {

// ---- WorkData.
bool WorkData::has_target(char task, int64_t i) const {
  if (task == kGenreTask) return genre[size_t(i)] >= 0;
  auto it = factors.find(task);
  return it != factors.end() && it->second.row_of_track[size_t(i)] >= 0;
}

void WorkData::target(char task, int64_t i, float* out, int genres) const {
  if (task == kGenreTask) {
    std::fill(out, out + genres, 0.f);
    out[genre[size_t(i)]] = 1.f;
    return;
  }
  const Factor& f = factors.at(task);
  const int64_t r = f.row_of_track[size_t(i)];
  std::memcpy(out, f.rows.data() + r * f.topics, sizeof(float) * size_t(f.topics));
}

WorkData load_work(const std::string& work_dir, const std::string& tasks) {
  AGF_CHECK(!work_dir.empty(), UsageError, "--work is required");
  WorkData w{work_dir, MelStore::open(work_dir), {}, {}, {}, {}, {}};
  const WorkDir wd(work_dir);
  w.split = load_split(wd.split());
  const std::string ds_path = wd.dataset();
  AGF_CHECK(std::filesystem::exists(ds_path), IOError, ds_path, ": missing (run `agf prepare` first)");
  const nlohmann::json ds = read_json_file(ds_path);
  const std::string meta_dir = ds.value("metadata_dir", "");
  AGF_CHECK(!meta_dir.empty(), FormatError, ds_path, ": no metadata_dir");
  FmaMetadata meta = load_fma_metadata(meta_dir);
  const int64_t n = w.store.num_tracks();
  w.genre.assign(size_t(n), -1);
  for (int64_t i = 0; i < n; ++i) {
    const Track* t = meta.find(w.store.track_id(i));
    AGF_CHECK(t != nullptr, FormatError, w.store.track_id(i), " is in ", melstore_path(work_dir), " but not in ",
              meta_dir, "/tracks.csv: the store and the metadata do not belong together");
    w.genre[size_t(i)] = t->genre_top;
  }
  for (char k : tasks) {
    if (!is_factor_task(k) || w.factors.count(k)) continue;
    FactorTargets ft = load_factor_targets(work_dir, k);
    WorkData::Factor f;
    f.topics = ft.topics;
    f.rows = std::move(ft.targets);
    f.settings = std::move(ft.settings);
    f.row_of_track.assign(size_t(n), -1);
    for (size_t r = 0; r < ft.track_ids.size(); ++r) {
      const int64_t i = w.store.index_of(ft.track_ids[r]);
      if (i >= 0) f.row_of_track[size_t(i)] = int64_t(r);
    }
    w.factors[k] = std::move(f);
  }
  auto to_index = [&](const std::vector<int64_t>& ids, std::vector<int64_t>* out) {
    for (int64_t id : ids) {
      const int64_t i = w.store.index_of(id);
      if (i >= 0) out->push_back(i);  // tracks prepare skipped (unreadable) are absent from the store
    }
    std::sort(out->begin(), out->end());
  };
  to_index(w.split.train, &w.train);
  to_index(w.split.valid, &w.valid);
  AGF_CHECK(!w.train.empty(), FormatError, work_dir, ": no training track of split.json is in the mel store");
  return w;
}

// ---- Windows.
std::vector<Window> track_windows(const MelStore& s, const std::vector<int64_t>& tracks, int frames, int hop,
                                  std::vector<int>* track_of_window) {
  AGF_CHECK(hop >= 1 && frames >= 1, UsageError, "windows: hop ", hop, ", frames ", frames);
  std::vector<Window> w;
  if (track_of_window) track_of_window->clear();
  for (size_t k = 0; k < tracks.size(); ++k) {
    const int n = s.frames(tracks[k]);
    AGF_CHECK(n >= frames, ShapeError, "track ", s.track_id(tracks[k]), " has ", n, " frames, fewer than one ", frames,
              "-frame window");
    for (int start = 0; start + frames <= n; start += hop) {
      w.push_back({tracks[k], start});
      if (track_of_window) track_of_window->push_back(int(k));
    }
  }
  return w;
}

std::vector<Window> centre_windows(const MelStore& s, const std::vector<int64_t>& tracks, int frames) {
  std::vector<Window> w;
  for (int64_t t : tracks) w.push_back({t, std::max(0, (s.frames(t) - frames) / 2)});
  return w;
}

void fill_windows(const MelStore& s, const Window* w, int n, int frames, float* x) {
  const size_t per = size_t(s.n_mels()) * size_t(frames);
#pragma omp parallel for schedule(static) if (n >= 8)
  for (int i = 0; i < n; ++i) s.segment(w[i].track, w[i].start, frames, x + size_t(i) * per);
}

// ---- Nets on disk.
// The JSON keys of these fields are their names; strict (a missing field is an error, as before).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NetConfig, tasks, genres, topics, outputs, width, inputs, hidden, drop_conv, drop_fc,
                                   drop_in)

nlohmann::json net_config_json(const NetConfig& c) {
  nlohmann::json j = c;
  // By hand: "arch", as the STN is "dcnn" in net files (its name there since the first format; parse_arch reads
  // both), so files, their fingerprints and the settings a resume compares stay as they were; and the BN
  // settings, flat as "bn_momentum" and "bn_eps".
  j["arch"] = c.arch == Arch::stn ? "dcnn" : arch_name(c.arch);
  j["bn_momentum"] = c.bn.momentum;
  j["bn_eps"] = c.bn.eps;
  return j;
}

NetConfig net_config_from_json(const nlohmann::json& j) {
  try {
    NetConfig c = j.get<NetConfig>();
    c.arch = parse_arch(j.at("arch").get<std::string>());
    c.bn.momentum = j.at("bn_momentum").get<double>();
    c.bn.eps = j.at("bn_eps").get<double>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str("net configuration: ", e.what()));
  }
}

std::vector<float> to_host_f32(const Tensor& t) {
  AGF_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, DTypeError, "to_host_f32: ", t.str());
  std::vector<float> out(size_t(t.numel()));
  if (t.dtype() == DType::F32) {
    t.copy_to_host(out.data());
  } else {
    std::vector<double> d(out.size());
    t.copy_to_host(d.data());
    for (size_t i = 0; i < out.size(); ++i) out[i] = float(d[i]);
  }
  return out;
}

void upload(Tensor& dst, const float* src) {
  AGF_CHECK(dst.dtype() == DType::F32, DTypeError, "upload: destination ", dst.str(), " is not F32");
  dst.copy_from_host(src);
}

// ---- Nets on disk: one named tensor per parameter and buffer (PyTorch names and layouts), so that
// `model.load_state_dict(safetensors.torch.load_file(path), strict=True)` loads an agf net into
// bench/peers/torch_models.py. BatchNorm's num_batches_tracked is not written: PyTorch fills it in when it
// is absent, and agf does not count batches.
static std::vector<int64_t> shape_dims(const Shape& s) { return std::vector<int64_t>(s.d, s.d + s.ndim); }

void save_net(const std::string& path, const Net& net, const std::map<std::string, std::string>& extra) {
  const std::vector<float> v = to_host_f32(net.params.values());
  std::map<std::string, std::string> meta = extra;
  meta.erase("layout");  // agf-net-1's flat-blob index, meaningless for named tensors
  meta["format"] = "agf-net-2";
  meta["net"] = net_config_json(net.config).dump();
  std::vector<StView> tensors;
  for (int i = 0; i < net.params.size(); ++i) {
    const ParamInfo& p = net.params.info(i);
    const int64_t n = p.shape.numel();
    tensors.push_back({p.name, StDType::F32, shape_dims(p.shape), v.data() + p.offset, size_t(n) * sizeof(float)});
  }
  write_safetensors(path, tensors, meta);
}

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

// Copies a stored tensor of any float dtype into `dst` as float32.
void copy_as_f32(const StView& v, float* dst, size_t n, const std::string& path) {
  switch (v.dtype) {
    case StDType::F32: std::memcpy(dst, v.data, n * sizeof(float)); return;
    case StDType::F64:
      for (size_t i = 0; i < n; ++i) dst[i] = float(static_cast<const double*>(v.data)[i]);
      return;
    case StDType::F16:
      for (size_t i = 0; i < n; ++i) dst[i] = half_to_float(static_cast<const uint16_t*>(v.data)[i]);
      return;
    default:
      throw FormatError(str(path, ": tensor \"", v.name, "\" is ", st_dtype_name(v.dtype),
                            "; a net's parameters must be F32, F64 or F16"));
  }
}

}  // namespace

LoadedNet load_net(const std::string& path, const Compute& c) {
  SafetensorsFile f = SafetensorsFile::open(path);
  const auto& md = f.metadata();
  auto it = md.find("format");
  const std::string format = it == md.end() ? "" : it->second;
  AGF_CHECK(format == "agf-net-1" || format == "agf-net-2", FormatError, path,
            ": not an agf net (metadata \"format\" is ", format.empty() ? std::string("missing") : "'" + format + "'",
            ", expected agf-net-2, or agf-net-1 from older agf)");
  it = md.find("net");
  AGF_CHECK(it != md.end(), FormatError, path, ": no \"net\" configuration in its metadata");
  NetConfig cfg;
  try {
    cfg = net_config_from_json(nlohmann::json::parse(it->second));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(path, ": bad \"net\" metadata: ", e.what()));
  } catch (const FormatError& e) {
    throw FormatError(str(path, ": ", e.what()));
  }
  LoadedNet out;
  out.net = build_net(cfg);
  ParamStore& ps = out.net->params;
  ps.finalize(c.device, DType::F32, 0);
  std::vector<float> host(size_t(ps.n_total()));
  if (format == "agf-net-1") {
    // Older agf: every value in one flat "params" blob in the store's layout. Still read, so that old
    // runs keep working; saving it again (any agf command that writes a net) gives agf-net-2.
    StView p = f.get("params");
    AGF_CHECK(p.dtype == StDType::F32 && p.shape.size() == 1 && p.shape[0] == ps.n_total(), FormatError, path,
              ": \"params\" has ", p.shape.empty() ? 0 : p.shape[0], " elements, the ", cfg.arch, " '", cfg.tasks,
              "' configuration needs ", ps.n_total());
    std::memcpy(host.data(), p.data, host.size() * sizeof(float));
  } else {
    // By name: every parameter and buffer present with its shape, nothing else (num_batches_tracked,
    // which PyTorch writes, is accepted and ignored).
    for (int i = 0; i < ps.size(); ++i) {
      const ParamInfo& info = ps.info(i);
      AGF_CHECK(f.has(info.name), FormatError, path, ": missing tensor \"", info.name, "\" (shape ",
                shape_str(shape_dims(info.shape)), ") of the ", cfg.arch, " '", cfg.tasks, "' configuration");
      const StView v = f.get(info.name);
      AGF_CHECK(v.shape == shape_dims(info.shape), FormatError, path, ": tensor \"", info.name, "\" has shape ",
                shape_str(v.shape), ", the ", cfg.arch, " '", cfg.tasks, "' configuration needs ",
                shape_str(shape_dims(info.shape)));
      copy_as_f32(v, host.data() + info.offset, size_t(info.shape.numel()), path);
    }
    for (const std::string& name : f.names()) {
      const bool tracked = name.size() > 20 && name.compare(name.size() - 20, 20, ".num_batches_tracked") == 0;
      AGF_CHECK(ps.find(name) >= 0 || tracked, FormatError, path, ": unexpected tensor \"", name, "\": the ", cfg.arch,
                " '", cfg.tasks, "' configuration has no such parameter");
    }
  }
  Tensor dst = ps.values();
  upload(dst, host.data());
  out.metadata = md;
  return out;
}

}  // namespace agf
