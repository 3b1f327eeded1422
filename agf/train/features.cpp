// Feature extraction and transfer folders (see features.h).
#include "agf/train/features.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "agf/train/calibrate.h"
#include "util/fs.h"
#include "util/half.h"
#include "util/interrupt.h"
#include "layers/step.h"

namespace agf {

uint64_t fnv1a64(const void* p, size_t n, uint64_t h) {
  const unsigned char* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

int64_t SourceNet::feature_dim() const {
  int64_t d = 0;
  for (int64_t x : task_dims) d += x;
  return d;
}

namespace {

void finish_source_net(SourceNet& sn, const Compute& c, std::map<std::string, std::string>& md) {
  auto it = md.find("mel_params");
  AGF_CHECK(it != md.end(), FormatError, sn.model_path, ": no \"mel_params\" in its metadata (not a trained agf net)");
  sn.mel_params = it->second;
  AGF_CHECK(sn.net->config.arch != Arch::mlp, UsageError, sn.model_path, ": an MLP is not a source net");
  // Feature widths from one inference pass on a zero window.
  Arena arena(c.device);
  Tape t(arena, DType::F32);
  t.cuda = c.cuda;
  Shape s = sn.net->input_shape(1);
  Tensor x = Tensor::zeros(s, DType::F32, c.device);
  for (int k = 0; k < sn.net->num_tasks(); ++k) sn.task_dims.push_back(infer(*sn.net, t, x, k).feature.dim(1));
}

}  // namespace

SourceNet load_source_net(const std::string& path, const Compute& c) {
  SourceNet sn;
  sn.model_path = std::filesystem::is_directory(path) ? path + "/model.safetensors" : path;
  AGF_CHECK(std::filesystem::exists(sn.model_path), IOError, sn.model_path,
            ": no such model (a run folder needs a finished `agf train`)");
  sn.run_dir = parent_dir(sn.model_path);
  sn.name = std::filesystem::path(std::filesystem::is_directory(path) ? path : sn.run_dir).filename().string();
  const std::string bytes = read_file_bytes(sn.model_path);
  sn.fingerprint = fnv1a64(bytes);
  LoadedNet ln = load_net(sn.model_path, c);
  sn.net = std::move(ln.net);
  finish_source_net(sn, c, ln.metadata);
  return sn;
}

struct SourceNet::Scratch {
  static constexpr int B = kNetInferenceBatch;
  Device dev;
  std::mutex mu;            // one caller at a time per net
  Arena arena, head_arena;  // a multi-task net: the shared trunk on `t`, each task's head on `head`
  Tape t, head;
  std::vector<float> xh;
  Tensor x;
  Scratch(Device d, int n_mels, int frames)
      : dev(d), arena(d), head_arena(d), t(arena, DType::F32), head(head_arena, DType::F32),
        xh(size_t(B) * size_t(n_mels) * size_t(frames)), x(Tensor::empty(Shape{B, 1, n_mels, frames}, DType::F32, d)) {}
};

std::vector<float> net_features(const SourceNet& sn, const Compute& c, int64_t n, int n_mels, int frames,
                                const WindowFill& fill, Progress* prog) {
  const int64_t D = sn.feature_dim();
  std::vector<float> out(size_t(n * D));
  constexpr int B = SourceNet::Scratch::B;
  // Kept on the CPU only: a CUDA arena must not outlive the context it was allocated in, which a SourceNet can.
  std::shared_ptr<SourceNet::Scratch> keep;
  if (c.device != Device::CPU) {
    keep = std::make_shared<SourceNet::Scratch>(c.device, n_mels, frames);
  } else {
    static std::mutex slot_mu;
    std::lock_guard<std::mutex> lock(slot_mu);
    auto& slot = sn.scratch;
    if (!slot || slot->dev != c.device || slot->x.dim(2) != n_mels || slot->x.dim(3) != frames)
      slot = std::make_shared<SourceNet::Scratch>(c.device, n_mels, frames);
    keep = slot;
  }
  SourceNet::Scratch& sc = *keep;
  std::lock_guard<std::mutex> lock(sc.mu);
  Tape& t = sc.t;
  t.cuda = c.cuda;
  sc.head.cuda = c.cuda;
  const bool shared_trunk = sn.net->num_tasks() > 1;  // an MTN: block 1 once per batch, not once per task
  for (int64_t b = 0; b < n; b += B) {
    throw_if_interrupted("features of " + sn.name);  // SIGTERM/SIGINT: nothing to keep, a rerun redoes it
    const int nb = int(std::min<int64_t>(B, n - b));
    fill(b, nb, sc.xh.data());
    Tensor xb = sc.x.slice0(0, nb);
    upload(xb, sc.xh.data());
    int64_t off = 0;
    const Tensor trunk = shared_trunk ? infer_trunk(*sn.net, t, xb) : Tensor();
    for (int k = 0; k < sn.net->num_tasks(); ++k) {
      std::vector<float> f =
          to_host_f32((shared_trunk ? infer_head(*sn.net, sc.head, trunk, k) : infer(*sn.net, t, xb, k)).feature);
      const int64_t d = sn.task_dims[size_t(k)];
      for (int i = 0; i < nb; ++i)
        std::memcpy(out.data() + (b + i) * D + off, f.data() + size_t(i) * size_t(d), sizeof(float) * size_t(d));
      off += d;
    }
    if (prog) prog->add(nb);
  }
  return out;
}

namespace {

// (n, K) outputs of the MLP in inference mode, in batches: the logits, or the device softmax of them.
std::vector<float> mlp_outputs(const Net& mlp, const Compute& c, const std::vector<float>& x, int64_t n, int64_t dim,
                               int batch, bool probs) {
  const int K = mlp.outputs(0);
  std::vector<float> out(size_t(n) * size_t(K));
  Arena arena(c.device);
  Tape t(arena, DType::F32);
  t.cuda = c.cuda;
  Tensor xd = Tensor::empty(Shape{batch, dim}, DType::F32, c.device);
  for (int64_t b = 0; b < n; b += batch) {
    const int nb = int(std::min<int64_t>(batch, n - b));
    Tensor xb = xd.slice0(0, nb);
    upload(xb, x.data() + b * dim);
    const InferResult r = infer(mlp, t, xb);
    std::vector<float> z = to_host_f32(probs ? r.probs : r.logits);
    std::memcpy(out.data() + b * K, z.data(), sizeof(float) * size_t(nb) * size_t(K));
  }
  return out;
}

}  // namespace

std::vector<float> mlp_logits(const Net& mlp, const Compute& c, const std::vector<float>& x, int64_t n, int64_t dim,
                              int batch) {
  return mlp_outputs(mlp, c, x, n, dim, batch, false);
}

std::vector<float> mlp_probs(const Net& mlp, const Compute& c, const std::vector<float>& x, int64_t n, int64_t dim,
                             int batch, double temperature) {
  if (temperature == 1.0) return mlp_outputs(mlp, c, x, n, dim, batch, true);
  std::vector<float> z = mlp_outputs(mlp, c, x, n, dim, batch, false), p(z.size());
  softmax_rows(p.data(), z.data(), n, mlp.outputs(0), temperature);
  return p;
}

MelParams mel_params_from_json(const std::string& text, const std::string& what) {
  try {
    return MelParams::from_json(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(what, ": bad mel parameters: ", e.what()));
  }
}

TransferModel load_transfer_model(const std::string& dir, const Compute& c) {
  TransferModel m;
  m.dir = dir;
  m.path = std::filesystem::is_directory(dir) ? dir + "/mlp.safetensors" : dir;
  if (!std::filesystem::is_directory(dir)) m.dir = parent_dir(dir);
  AGF_CHECK(std::filesystem::exists(m.path), IOError, m.path,
            ": no transfer model here (make one with `agf transfer` or `agf experiment`)");
  LoadedNet ln = load_net(m.path, c);
  AGF_CHECK(ln.net->config.arch == Arch::mlp, FormatError, m.path, ": not a transfer MLP (arch ", ln.net->config.arch,
            ")");
  m.mlp = std::move(ln.net);
  auto get = [&](const char* k) {
    auto it = ln.metadata.find(k);
    AGF_CHECK(it != ln.metadata.end(), FormatError, m.path, ": no \"", k, "\" in its metadata");
    return it->second;
  };
  m.mel_params = get("mel_params");
  m.mel = mel_params_from_json(m.mel_params, m.path);
  nlohmann::json tj;
  try {
    tj = nlohmann::json::parse(get("transfer"));
    m.frames = tj.at("frames").get<int>();
    m.eval_hop = tj.at("eval_hop").get<int>();
    m.genre_names = tj.at("genres").get<std::vector<std::string>>();
    m.float16 = tj.value("float16", true);
    m.temperature = tj.value("temperature", 1.0);  // absent in uncalibrated and older models
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(m.path, ": bad \"transfer\" metadata: ", e.what()));
  }
  AGF_CHECK(std::isfinite(m.temperature) && m.temperature > 0, FormatError, m.path,
            ": \"transfer\" metadata has temperature ", m.temperature, "; it must be a finite number > 0");
  m.genres = m.mlp->outputs(0);
  AGF_CHECK(int(m.genre_names.size()) >= m.genres, FormatError, m.path, ": ", m.genre_names.size(), " genre names for ",
            m.genres, " outputs");
  // The mel standardisation: metadata "mel_standardisation" {"mean": [...], "std": [...]} (agf-net-2), or
  // the F32 tensors mel_mean / mel_std of older folders.
  SafetensorsFile f = SafetensorsFile::open(m.path);
  for (const char* name : {"mel_mean", "mel_std"}) {
    std::vector<float>& dst = name[4] == 'm' ? m.mean : m.stdev;
    if (f.has(name)) {
      StView v = f.get(name);
      AGF_CHECK(v.dtype == StDType::F32 && v.shape.size() == 1 && v.shape[0] == m.mel.n_mels, FormatError, m.path,
                ": \"", name, "\" must be F32 (", m.mel.n_mels, ")");
      dst.resize(size_t(m.mel.n_mels));
      std::memcpy(dst.data(), v.data, v.nbytes);
    } else {
      try {
        dst = nlohmann::json::parse(get("mel_standardisation"))
                  .at(name[4] == 'm' ? "mean" : "std")
                  .get<std::vector<float>>();
      } catch (const nlohmann::json::exception& e) {
        throw FormatError(str(m.path, ": bad \"mel_standardisation\" metadata: ", e.what()));
      }
      AGF_CHECK(int(dst.size()) == m.mel.n_mels, FormatError, m.path, ": mel_standardisation ", name, " has ",
                dst.size(), " values for ", m.mel.n_mels, " mel bands");
    }
  }
  for (const auto& jn : tj.at("nets")) {
    const std::string file = m.dir + "/" + jn.at("file").get<std::string>();
    SourceNet sn;
    sn.model_path = file;
    sn.run_dir = m.dir;
    sn.name = jn.value("name", file);
    sn.fingerprint = fnv1a64(read_file_bytes(file));
    LoadedNet l = load_net(file, c);
    sn.net = std::move(l.net);
    finish_source_net(sn, c, l.metadata);
    AGF_CHECK(sn.mel_params == m.mel_params, UsageError, "model ", m.path, ": its net ", file,
              " was trained on mels with other feature parameters (", sn.mel_params, ") than the model declares (",
              m.mel_params, "); the folder is inconsistent, re-run `agf transfer`");
    m.feature_dim += sn.feature_dim();
    m.nets.push_back(std::move(sn));
  }
  AGF_CHECK(m.feature_dim == m.mlp->config.inputs, FormatError, m.path, ": the nets give ", m.feature_dim,
            "-d features, the MLP takes ", m.mlp->config.inputs);
  return m;
}

std::vector<float> transfer_features(const TransferModel& m, const Compute& c, int64_t n, const WindowFill& fill,
                                     bool quiet) {
  std::vector<float> out(size_t(n * m.feature_dim));
  int64_t off = 0;
  for (const SourceNet& sn : m.nets) {
    Progress prog(str("features ", sn.name), n, "windows", quiet);
    std::vector<float> f = net_features(sn, c, n, m.mel.n_mels, m.frames, fill, &prog);
    prog.finish();
    const int64_t d = sn.feature_dim();
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out.data() + i * m.feature_dim + off, f.data() + i * d, sizeof(float) * size_t(d));
    off += d;
  }
  return out;
}

void standardise_frames(const TransferModel& m, const float* fm, int frames, float* out) {
  // As MelStore::segment: (x - mean) * (1 / std), float16-rounded first when the store held float16.
  const int M = m.mel.n_mels;
  for (int t = 0; t < frames; ++t)
    for (int b = 0; b < M; ++b) {
      float x = fm[size_t(t) * M + b];
      if (m.float16) x = half_to_float(float_to_half(x));
      out[size_t(b) * size_t(frames) + size_t(t)] = (x - m.mean[size_t(b)]) * (1.f / m.stdev[size_t(b)]);
    }
}

}  // namespace agf
