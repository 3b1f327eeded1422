// Net files (agf-net-2, agf/train/session.cpp): one named tensor per parameter and buffer in PyTorch's
// names and layouts; loading by name with errors naming the tensor; agf-net-1 flat blobs still load; and
// PyTorch itself loads an agf checkpoint strictly and computes the same logits (committed fixture from
// tools/make_torch_checkpoint_fixtures.py; its agf files are written by this test with
// AGF_UPDATE_CHECKPOINT_FIXTURES=1, and must stay byte-identical to what save_net writes now).
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "util/fs.h"
#include "agf/train/session.h"
#include "layers/step.h"
#include "tests/test_util.h"

namespace agf {
namespace {
namespace fs = std::filesystem;

std::string fixture_dir() { return std::string(AGF_SOURCE_DIR) + "/tests/fixtures/torch"; }
// A file in one temporary folder per test process (tests/test_util.h), removed at exit.
std::string tmp(const std::string& name) {
  static const testing_util::TempDir dir("ckpt");
  return dir.file(name);
}

// Every value from an integer hash (exact in float32, the same on every machine): weights about
// 1/sqrt(fan_in), biases small, BN gamma near 1, beta near 0, running means near 0, variances in [0.5, 1.5].
std::unique_ptr<Net> recipe_net(const NetConfig& c) {
  auto net = build_net(c);
  ParamStore& ps = net->params;
  ps.finalize(Device::CPU, DType::F32, 0);
  for (int i = 0; i < ps.size(); ++i) {
    const ParamInfo& p = ps.info(i);
    Tensor v = ps.value(i);
    float* d = v.data<float>();
    const std::string& n = p.name;
    const bool bn = n.find("bn") != std::string::npos;
    const auto ends = [&](const char* s) {
      return n.size() >= std::strlen(s) && n.compare(n.size() - std::strlen(s), std::strlen(s), s) == 0;
    };
    const int64_t fan_in = p.shape.numel() / p.shape[0];
    // 1.5 * 2^-ceil(log2 sqrt(fan_in)): a power of two near 1/sqrt(fan_in), so every value is exact.
    const float wscale =
        1.5f *
        static_cast<float>(std::ldexp(1.0, -static_cast<int>(std::ceil(0.5 * std::log2(static_cast<double>(fan_in))))));
    for (int64_t j = 0; j < p.shape.numel(); ++j) {
      uint32_t h = uint32_t(j) * 2654435761u + uint32_t(i) * 40503u + 17u;
      h ^= h >> 15;
      h *= 2246822519u;
      h ^= h >> 13;
      const float u = float(int(h >> 24) - 128) / 128.f;  // [-1, 1)
      float x;
      if (bn && ends(".weight"))
        x = 1.f + 0.25f * u;
      else if (bn && ends(".bias"))
        x = 0.125f * u;
      else if (ends(".running_mean"))
        x = 0.25f * u;
      else if (ends(".running_var"))
        x = 1.f + 0.5f * u;
      else if (ends(".bias"))
        x = 0.0625f * u;
      else
        x = u * wscale;
      d[j] = x;
    }
  }
  return net;
}

NetConfig dcnn_cfg() {
  NetConfig c;
  c.arch = Arch::stn;
  c.width = 0.5;
  return c;
}
NetConfig mlp_cfg() {
  NetConfig c;
  c.arch = Arch::mlp;
  c.inputs = 96;
  c.hidden = 48;
  c.outputs = 16;
  return c;
}
NetConfig mtn_cfg() {
  NetConfig c;
  c.arch = Arch::mtn;
  c.tasks = "gs";
  return c;
}

std::vector<float> values(const Net& n) { return to_host_f32(n.params.values()); }

TEST(CheckpointFormat, OneNamedTensorPerParameterInTorchLayout) {
  auto net = recipe_net(dcnn_cfg());
  const std::string path = tmp("dcnn.safetensors");
  save_net(path, *net, {{"mel_params", "{}"}});
  SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.metadata().at("format"), "agf-net-2");
  EXPECT_FALSE(f.has("params"));
  EXPECT_EQ(f.names().size(), size_t(net->params.size()));
  const StView w = f.get("conv2.weight"), fc = f.get("fc1.weight"), rv = f.get("bn2.running_var");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{16, 8, 3, 3}));  // (out, in, kh, kw)
  EXPECT_EQ(fc.shape, (std::vector<int64_t>{128, 128}));    // (out, in)
  EXPECT_EQ(rv.shape, (std::vector<int64_t>{16}));
  LoadedNet back = load_net(path, Compute{});
  EXPECT_EQ(values(*back.net), values(*net));
  EXPECT_EQ(back.metadata.at("mel_params"), "{}");
  fs::remove(path);
}

// Rewrites a saved net with one tensor dropped, renamed or reshaped.
std::string edited(const std::string& src, const std::string& name, const std::string& rename,
                   std::vector<int64_t> shape = {}) {
  SafetensorsFile f = SafetensorsFile::open(src);
  std::vector<StView> t;
  std::vector<std::string> keep;
  for (const std::string& n : f.names()) {
    StView v = f.get(n);
    if (n == name) {
      if (!rename.empty())
        v.name = rename;
      else if (!shape.empty()) {
        v.shape = shape;
        int64_t e = 1;
        for (int64_t s : shape) e *= s;
        v.nbytes = size_t(e) * 4;
      } else
        continue;
    }
    t.push_back(v);
  }
  const std::string out = tmp("edited.safetensors");
  write_safetensors(out, t, f.metadata());
  return out;
}

void expect_format_error(const std::string& path, const std::vector<std::string>& words) {
  try {
    load_net(path, Compute{});
    FAIL() << "accepted " << path;
  } catch (const FormatError& e) {
    for (const auto& w : words) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
  }
}

TEST(CheckpointFormat, LoadsByNameAndNamesTheBadTensor) {
  auto net = recipe_net(mlp_cfg());
  const std::string path = tmp("mlp.safetensors");
  save_net(path, *net, {});
  expect_format_error(edited(path, "fc2.bias", ""), {"missing tensor \"fc2.bias\"", "[16]"});
  expect_format_error(edited(path, "fc1.bias", "fc3.bias"), {"fc1.bias"});  // the first missing one
  expect_format_error(edited(path, "fc1.weight", "", {96, 48}), {"\"fc1.weight\" has shape [96, 48]", "[48, 96]"});
  // An extra tensor: PyTorch's num_batches_tracked is accepted, anything else is named.
  {
    SafetensorsFile f = SafetensorsFile::open(path);
    std::vector<StView> t;
    for (const auto& n : f.names()) t.push_back(f.get(n));
    const int64_t one = 7;
    t.push_back({"bn.num_batches_tracked", StDType::I64, {}, &one, 8});
    write_safetensors(tmp("extra.safetensors"), t, f.metadata());
    EXPECT_NO_THROW(load_net(tmp("extra.safetensors"), Compute{}));
    const float z[2] = {0, 0};
    t.push_back({"fc9.weight", StDType::F32, {2}, z, 8});
    write_safetensors(tmp("extra.safetensors"), t, f.metadata());
    expect_format_error(tmp("extra.safetensors"), {"unexpected tensor \"fc9.weight\""});
  }
  for (const char* n : {"mlp.safetensors", "edited.safetensors", "extra.safetensors"}) fs::remove(tmp(n));
}

TEST(CheckpointFormat, OldFlatBlobStillLoads) {
  auto net = recipe_net(mlp_cfg());
  const std::vector<float> v = values(*net);
  const std::string path = tmp("old.safetensors");
  write_safetensors(path, {{"params", StDType::F32, {int64_t(v.size())}, v.data(), v.size() * 4}},
                    {{"format", "agf-net-1"}, {"net", net_config_json(net->config).dump()}});
  LoadedNet back = load_net(path, Compute{});
  EXPECT_EQ(values(*back.net), v);
  write_safetensors(path, {{"params", StDType::F32, {3}, v.data(), 12}},
                    {{"format", "agf-net-1"}, {"net", net_config_json(net->config).dump()}});
  expect_format_error(path, {"\"params\" has 3 elements"});
  fs::remove(path);
}

TEST(CheckpointFormat, PyTorchLoadsItStrictAndAgrees) {
  const std::string dir = fixture_dir();
  const std::string files[2] = {dir + "/agf_dcnn_w05.safetensors", dir + "/agf_mlp.safetensors"};
  std::unique_ptr<Net> nets[2] = {recipe_net(dcnn_cfg()), recipe_net(mlp_cfg())};
  const char* update = std::getenv("AGF_UPDATE_CHECKPOINT_FIXTURES");
  for (int k = 0; k < 2; ++k) {
    if (update && *update == '1')
      save_net(files[k], *nets[k], {{"fixture", "tools/make_torch_checkpoint_fixtures.py"}});
    // What save_net writes today is the file PyTorch was shown.
    const std::string now = tmp("now.safetensors");
    save_net(now, *nets[k], {{"fixture", "tools/make_torch_checkpoint_fixtures.py"}});
    EXPECT_EQ(read_file_bytes(now), read_file_bytes(files[k])) << files[k]
                                                               << " differs from what save_net writes now: "
                                                                  "re-run tools/make_torch_checkpoint_fixtures.py";
    fs::remove(now);
  }
  if (update && *update == '1') GTEST_SKIP() << "wrote the agf checkpoints; now run the script's PyTorch half";
  SafetensorsFile ref = SafetensorsFile::open(dir + "/agf_checkpoint_torch.safetensors");
  const char* prefix[2] = {"dcnn", "mlp"};
  for (int k = 0; k < 2; ++k) {
    LoadedNet ln = load_net(files[k], Compute{});
    const StView in = ref.get(std::string(prefix[k]) + ".input"), lg = ref.get(std::string(prefix[k]) + ".logits");
    ASSERT_EQ(in.dtype, StDType::F32);
    ASSERT_EQ(lg.dtype, StDType::F64);
    Tensor x = Tensor::empty(in.shape.size() == 4 ? Shape{in.shape[0], in.shape[1], in.shape[2], in.shape[3]}
                                                  : Shape{in.shape[0], in.shape[1]},
                             DType::F32, Device::CPU);
    std::memcpy(x.data<float>(), in.data, in.nbytes);
    Arena arena(Device::CPU);
    Tape t(arena, DType::F32);
    t.training = false;
    Var xv = t.input(x, false);
    const std::vector<float> got = to_host_f32(t.value(ln.net->forward(t, xv, 0).logits));
    const double* want = static_cast<const double*>(lg.data);
    ASSERT_EQ(got.size(), lg.nbytes / 8);
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i)
      worst = std::max(worst, std::fabs(got[i] - want[i]) / (1e-3 + std::fabs(want[i])));
    EXPECT_LT(worst, 1e-4) << prefix[k] << ": agf's float32 logits against PyTorch's float64 on the same checkpoint";
  }
  // The MTN's names and shapes are exactly the state_dict keys of torch_models.MTN("gs") (listed by the script).
  const nlohmann::json keys = nlohmann::json::parse(ref.metadata().at("mtn_gs_state_dict"));
  auto mtn = build_net(mtn_cfg());
  nlohmann::json ours = nlohmann::json::object();
  for (int i = 0; i < mtn->params.size(); ++i) {
    const Shape s = mtn->params.info(i).shape;
    ours[mtn->params.info(i).name] = std::vector<int64_t>(s.d, s.d + s.ndim);
  }
  EXPECT_EQ(ours, keys);
}

}  // namespace
}  // namespace agf
