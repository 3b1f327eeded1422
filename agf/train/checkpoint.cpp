// Training checkpoints (see checkpoint.h).
#include "agf/train/checkpoint.h"

#include <filesystem>

#include "agf/train/jsonl.h"
#include "agf/train/session.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "engine/safetensors.h"

namespace agf {

void load_f32_vector(const SafetensorsFile& f, const std::string& path, const char* name, const Tensor& dst,
                     const char* owner) {
  StView v = f.get(name);
  AGF_CHECK(v.dtype == StDType::F32 && v.shape.size() == 1 && v.shape[0] == dst.numel(), FormatError, path, ": \"",
            name, "\" has the wrong size for this ", owner);
  Tensor t = dst;
  upload(t, static_cast<const float*>(v.data));
}

namespace {

// 3: a checkpoint may fall inside an epoch (a stop on SIGTERM/SIGINT, interrupt.h): state.data_position.batch
// is the number of the epoch's batches already done, state.partial the epoch's loss sums so far, and
// state.bad_in_row the run of non-finite steps. An older agf refuses it rather than redo a partial epoch.
// 2: one optimizer per task for an MTN (its moments "adam_m.<task>"/"adam_v.<task>", its step count in
// state.adam_t as {task: t}). 1: one optimizer over every parameter; still read for single-task nets.
// 2 and 1 always fall on epoch ends; both are still read.
constexpr const char* kCheckpointFormat = "agf-checkpoint-3";
constexpr const char* kCheckpointFormat2 = "agf-checkpoint-2";
constexpr const char* kCheckpointFormat1 = "agf-checkpoint-1";

}  // namespace

void write_checkpoint(const std::string& path, const Net& net, const Optimizers& opts, const Checkpoint& c,
                      const nlohmann::json& identity, const nlohmann::json& options) {
  const bool multi = net.num_tasks() > 1;
  std::vector<std::vector<float>> host;
  host.reserve(1 + 2 * opts.size());
  std::vector<StView> t;
  auto add = [&](const std::string& name, const Tensor& x) {
    host.push_back(to_host_f32(x));
    t.push_back({name, StDType::F32, {int64_t(host.back().size())}, host.back().data(), host.back().size() * 4});
  };
  add("params", net.params.values());
  nlohmann::json adam_t = nlohmann::json::object();
  for (size_t k = 0; k < opts.size(); ++k) {
    const std::string suffix = multi ? std::string(".") + net.config.tasks[k] : std::string();
    add("adam_m" + suffix, opts[k]->m());
    add("adam_v" + suffix, opts[k]->v());
    adam_t[std::string(1, net.config.tasks[k])] = opts[k]->steps();
  }
  nlohmann::json state = {{"epoch", c.epoch},
                          {"step", c.step},
                          {"adam_t", multi ? adam_t : nlohmann::json(opts[0]->steps())},
                          {"skipped", c.skipped},
                          {"seconds", c.seconds},
                          {"bad_in_row", c.bad_in_row},
                          // RNG state: every stream is Philox(seed, purpose, epoch/step), so the seed and
                          // the position (epoch, batch within it, step) are all of it: an epoch's plan
                          // (task, shuffle, crops) is redrawn from its number, dropout from the step.
                          {"rng", {{"generator", "philox4x32-10"}, {"seed", identity["seed"]}, {"epoch", c.epoch}}},
                          {"data_position", {{"epoch", c.epoch}, {"batch", c.batch}}}};
  // JSON numbers round-trip doubles exactly (nlohmann writes the shortest exact form).
  if (c.batch > 0) state["partial"] = {{"loss_sum", c.loss_sum}, {"loss_n", c.loss_n}};
  write_safetensors(path, t,
                    {{"format", kCheckpointFormat},
                     {"identity", identity.dump()},
                     {"options", options.dump()},
                     {"state", state.dump()},
                     {"net", net_config_json(net.config).dump()}});
}

Checkpoint read_checkpoint(const std::string& path, Net& net, Optimizers& opts, const nlohmann::json& identity) {
  SafetensorsFile f = SafetensorsFile::open(path);
  const auto& md = f.metadata();
  auto get = [&](const char* k) -> nlohmann::json {
    auto it = md.find(k);
    AGF_CHECK(it != md.end(), FormatError, path, ": no \"", k, "\" in the metadata (not an agf checkpoint)");
    try {
      return nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(str(path, ": metadata \"", k, "\": ", e.what()));
    }
  };
  const bool multi = net.num_tasks() > 1;
  auto fmt = md.find("format");
  AGF_CHECK(fmt != md.end() && (fmt->second == kCheckpointFormat || fmt->second == kCheckpointFormat2 ||
                                fmt->second == kCheckpointFormat1),
            FormatError, path, ": not an agf checkpoint (format ",
            fmt == md.end() ? std::string("missing") : "'" + fmt->second + "'", ")");
  AGF_CHECK(!(multi && fmt->second == kCheckpointFormat1), FormatError, path,
            ": an MTN checkpoint of format 1 (one optimizer over every branch); this agf keeps one optimizer per "
            "task, so the run cannot continue from it: start it again in another --out");
  const nlohmann::json id = get("identity");
  check_settings_match(id, identity, str("--resume: ", path, " was made with "), "has",
                       "use another --out or the original settings");
  auto load = [&](const char* name, const Tensor& dst) { load_f32_vector(f, path, name, dst, "net"); };
  load("params", net.params.values());
  const nlohmann::json s = get("state");
  for (size_t k = 0; k < opts.size(); ++k) {
    const std::string suffix = multi ? std::string(".") + net.config.tasks[k] : std::string();
    load(("adam_m" + suffix).c_str(), opts[k]->m());
    load(("adam_v" + suffix).c_str(), opts[k]->v());
    const nlohmann::json& at = s.at("adam_t");
    opts[k]->set_steps(multi ? at.at(std::string(1, net.config.tasks[k])).get<int64_t>() : at.get<int64_t>());
  }
  Checkpoint c;
  c.epoch = s.at("epoch").get<int>();
  c.step = s.at("step").get<int64_t>();
  c.skipped = s.value("skipped", int64_t(0));
  c.seconds = s.value("seconds", 0.0);
  c.bad_in_row = s.value("bad_in_row", 0);
  try {
    if (s.contains("data_position")) c.batch = s["data_position"].value("batch", 0);
    if (c.batch > 0) {
      AGF_CHECK(s.contains("partial"), FormatError, path, ": a mid-epoch checkpoint (batch ", c.batch,
                ") without \"partial\"");
      c.loss_sum = s["partial"].at("loss_sum").get<std::vector<double>>();
      c.loss_n = s["partial"].at("loss_n").get<std::vector<int64_t>>();
      AGF_CHECK(c.loss_sum.size() == opts.size() && c.loss_n.size() == opts.size(), FormatError, path,
                ": \"partial\" has ", c.loss_sum.size(), " loss sums for a net with ", opts.size(), " tasks");
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(path, ": metadata \"state\": ", e.what()));
  }
  AGF_CHECK(c.batch >= 0 && c.epoch >= 0 && c.step >= 0, FormatError, path, ": bad position (epoch ", c.epoch,
            ", batch ", c.batch, ", step ", c.step, ")");
  return c;
}

void trim_jsonl(const std::string& path, int epoch) {
  if (!std::filesystem::exists(path)) return;
  JsonlContents c = read_jsonl(path);
  std::string out;
  bool changed = c.torn_tail;
  for (const auto& r : c.records) {
    if (r.contains("epoch") && r["epoch"].is_number() && r["epoch"].get<int>() > epoch) {
      changed = true;
      continue;
    }
    out += r.dump() + "\n";
  }
  if (changed) write_file_atomic(path, out);
}

}  // namespace agf
