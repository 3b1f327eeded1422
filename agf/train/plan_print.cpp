// `agf experiment --plan`'s output (plan.h): Markdown tables of the cases and nets, the calibration, the
// totals on 1 and W devices and what the estimate is; the same numbers as JSON for --plan-json.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "agf/train/plan.h"
#include "util/error.h"

namespace agf {

namespace {

// "3.2 s", "14 min", "5.1 h", "2.3 d": durations from seconds to the grid's days.
std::string duration(double s) {
  char b[32];
  if (s < 60)
    std::snprintf(b, sizeof b, "%.3g s", s);
  else if (s < 3600)
    std::snprintf(b, sizeof b, "%.3g min", s / 60);
  else if (s < 3 * 86400)
    std::snprintf(b, sizeof b, "%.3g h", s / 3600);
  else
    std::snprintf(b, sizeof b, "%.3g d", s / 86400);
  return b;
}

std::string hours(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s >= 36 ? "%.2f" : "%.2g", s / 3600);  // 0.01 h and up: two decimals
  return b;
}

// "595.91 h (24.8 d)", "0.25 h (15 min)", "12.50 h".
std::string in_hours(double s) {
  const bool other_unit = s < 3600 || s >= 3 * 86400;
  return hours(s) + " h" + (other_unit ? " (" + duration(s) + ")" : std::string());
}

std::string ms(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", s * 1e3);
  return b;
}

// 1234567 -> "1,234,567"
std::string count(int64_t v) {
  std::string d = std::to_string(v < 0 ? -v : v), r;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) r += ',';
    r += d[i];
  }
  return v < 0 ? "-" + r : r;
}

std::string joined(const std::vector<std::string>& v, size_t most = 4) {
  std::string r;
  for (size_t i = 0; i < v.size() && i < most; ++i) r += (i ? ", " : "") + v[i];
  if (v.size() > most) r += str(" and ", v.size() - most, " more");
  return r;
}

std::string grid_words(const Plan& p) {
  const ExperimentOptions& o = p.options;
  return str(!o.cases.empty() ? "the chosen cases"
             : o.quick        ? "the quick grid"
                              : "the paper's grid",
             " (", p.grid.size(), p.grid.size() == 1 ? " case" : " cases",
             p.seeds.size() > 1 ? str(" x ", p.seeds.size(), " seeds") : std::string(), ")");
}

std::string schedule_words(const ExperimentOptions& o) {
  return str("STN/wSTN ", o.stn_epochs, " epochs, MTN ",
             o.mtn_epochs_per_task > 0 ? str(o.mtn_epochs_per_task, " x the number of tasks")
                                       : std::to_string(o.mtn_epochs),
             " epochs, MLP ", o.mlp_epochs, " epochs of ",
             o.mlp_epoch == "crops" ? "one random 1-s crop per training track"
                                    : str("every window (hop ", o.train_hop, ")"),
             ", batch ", o.batch, ", evaluation hop ", o.eval_hop, o.calibrate ? ", --calibrate" : "");
}

}  // namespace

std::string plan_text(const Plan& p) {
  const ExperimentOptions& o = p.options;
  const PlanCalibration& c = p.calibration;
  std::string t = str("# agf experiment --plan: ", grid_words(p), "\n\n", "Corpus: ", p.corpus.source, ".\n",
                      "Schedules: ", schedule_words(o), ".\n\n");
  t += "## Cases\n\nEach case trains its MLP once the nets it needs are done; the time is the case's own job (its "
       "MLP, and the feature passes of an MTN's or wSTN's net).\n\n"
       "| case | needs | net epochs | MLP epochs | MLP steps | branch forwards | MLP forwards | est. h |\n"
       "|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (const PlanJob& j : p.jobs) {
    if (j.kind != PlanJob::Kind::mlp) continue;
    int net_epochs = 0;
    for (const PlanJob& n : p.jobs)
      if (!j.needs.empty() && n.name == j.needs[0]) net_epochs = n.epochs;
    t += str("| ", j.name, " | ", joined(j.needs, 5), " | ", net_epochs, " | ", j.epochs, " | ", count(j.steps), " | ",
             count(j.forwards), " | ", count(j.mlp_forwards), " | ", hours(j.seconds), " |\n");
  }
  t += "\n## Nets\n\nEach net is trained once per seed. An STN's feature passes (validation windows, training "
       "crops or windows) serve every STN case through the feature cache and are counted here; every net's "
       "branch forwards include its validation loss of every task, every epoch.\n\n"
       "| net | used by | epochs | steps | branch forwards | est. h |\n|---|---|---:|---:|---:|---:|\n";
  for (const PlanJob& j : p.jobs)
    if (j.kind == PlanJob::Kind::net)
      t += str("| ", j.name, " | ", j.used_by.size(), " case", j.used_by.size() == 1 ? "" : "s", ": ",
               joined(j.used_by, 3), " | ", j.epochs, " | ", count(j.steps), " | ", count(j.forwards), " | ",
               hours(j.seconds), " |\n");
  t += str("\n## Calibration\n\nOn ", c.device, ", batch ", c.batch, ", random inputs, one untimed warm-up per entry; ",
           duration(c.seconds),
           " in all. A step is a training step at the batch (the recorded step, as the trainer "
           "runs full batches); a forward is one window through one task branch (batches of 128) or through the MLP "
           "(batches of 256).\n\n| shape | ms / step | steps timed | ms / forward | windows timed "
           "|\n|---|---:|---:|---:|---:|\n");
  for (const auto& [shape, st] : c.step) {
    auto f = c.forward.find(shape);
    t += str("| ", shape, " | ", ms(st.seconds), " | ", st.timed, " | ",
             f == c.forward.end() ? "-" : ms(f->second.seconds), " | ",
             f == c.forward.end() ? std::string("-") : count(f->second.timed), " |\n");
  }
  int64_t net_steps = 0, mlp_steps = 0;
  for (const PlanJob& j : p.jobs) (j.kind == PlanJob::Kind::net ? net_steps : mlp_steps) += j.steps;
  const PlanSchedule& s = p.schedule;
  t += str("\n## Totals\n\n- Steps: ", count(net_steps), " net + ", count(mlp_steps), " MLP = ", count(p.total_steps),
           "; forwards: ", count(p.total_forwards), " window-branch, ", count(p.total_mlp_forwards), " MLP.\n",
           "- On 1 device: ", in_hours(p.total_s), ".\n");
  if (s.devices > 1)
    t += str("- On ", s.devices, " devices: ", in_hours(s.makespan_s),
             " by a list schedule (a case as soon as its nets are done, else the nets longest first, as --workers, "
             "--devices and --shard pick them); lower bound max(total / ",
             s.devices, ", longest chain) = ", hours(s.lower_bound_s), " h.\n");
  t += str("- The longest chain (a net and its slowest case), the wall time on unlimited devices: ",
           in_hours(s.longest_chain_s), ".\n\n");
  // For sizing an array: the same list schedule on a few device counts.
  std::vector<int> ws = {1, 2, 4, 8, 16, 32};
  if (std::find(ws.begin(), ws.end(), s.devices) == ws.end()) ws.push_back(s.devices);
  std::sort(ws.begin(), ws.end());
  t += "| devices | list schedule, h | lower bound, h |\n|---:|---:|---:|\n";
  for (int w : ws) {
    const PlanSchedule sw = w == s.devices ? s : plan_schedule(p.jobs, w);
    t +=
        str("| ", w, w == s.devices ? " (W)" : "", " | ", hours(sw.makespan_s), " | ", hours(sw.lower_bound_s), " |\n");
  }
  t += "\n";
  t += str("This is an estimate from a calibration on ", c.device,
           ", not a measurement of the grid: step counts are "
           "exact for the corpus counts above (a short last batch counts as a full step; --calibrate's held-out "
           "tracks are approximated as a fraction of all training tracks), times are the calibrated ones multiplied "
           "out, and data loading, checkpoint writes and feature-cache I/O are left out.\n");
  return t;
}

nlohmann::json plan_json(const Plan& p) {
  const ExperimentOptions& o = p.options;
  nlohmann::json jobs = nlohmann::json::array();
  for (const PlanJob& j : p.jobs) {
    const size_t i = size_t(&j - p.jobs.data());
    jobs.push_back({{"name", j.name},
                    {"kind", j.kind == PlanJob::Kind::net ? "net" : "mlp"},
                    {"shape", j.shape},
                    {"seed", j.seed},
                    {"needs", j.needs},
                    {"used_by", j.used_by},
                    {"epochs", j.epochs},
                    {"steps", j.steps},
                    {"forwards", j.forwards},
                    {"forward_shape", j.forward_shape},
                    {"mlp_forwards", j.mlp_forwards},
                    {"seconds", j.seconds},
                    {"device", p.schedule.device_of[i]},
                    {"start_s", p.schedule.start_s[i]}});
  }
  nlohmann::json cal = {{"device", p.calibration.device},
                        {"batch", p.calibration.batch},
                        {"seconds", p.calibration.seconds},
                        {"step", nlohmann::json::object()},
                        {"forward", nlohmann::json::object()}};
  for (const auto& [k, v] : p.calibration.step) cal["step"][k] = {{"seconds", v.seconds}, {"timed", v.timed}};
  for (const auto& [k, v] : p.calibration.forward) cal["forward"][k] = {{"seconds", v.seconds}, {"timed", v.timed}};
  nlohmann::json corpus = {{"source", p.corpus.source},
                           {"train_tracks", p.corpus.train_tracks},
                           {"valid_tracks", p.corpus.valid_tracks},
                           {"train_windows", p.corpus.train_windows},
                           {"train_eval_windows", p.corpus.train_eval_windows},
                           {"eval_windows", p.corpus.eval_windows},
                           {"frames_per_track", p.corpus.frames_per_track},
                           {"topics", p.corpus.topics}};
  for (const auto& [k, v] : p.corpus.train_targets) corpus["train_targets"][std::string(1, k)] = v;
  for (const auto& [k, v] : p.corpus.valid_targets) corpus["valid_targets"][std::string(1, k)] = v;
  nlohmann::json schedules = nlohmann::json::array();
  for (int w : {1, 2, 4, 8, 16, 32}) {
    const PlanSchedule sw = plan_schedule(p.jobs, w);
    schedules.push_back({{"devices", w}, {"makespan_s", sw.makespan_s}, {"lower_bound_s", sw.lower_bound_s}});
  }
  return {{"grid", grid_words(p)},
          {"options",
           {{"stn_epochs", o.stn_epochs},
            {"mtn_epochs", o.mtn_epochs},
            {"mtn_epochs_per_task", o.mtn_epochs_per_task},
            {"mlp_epochs", o.mlp_epochs},
            {"mlp_epoch", o.mlp_epoch},
            {"batch", o.batch},
            {"eval_hop", o.eval_hop},
            {"train_hop", o.train_hop},
            {"calibrate", o.calibrate},
            {"seeds", p.seeds}}},
          {"corpus", corpus},
          {"calibration", cal},
          {"jobs", jobs},
          {"totals",
           {{"steps", p.total_steps},
            {"forwards", p.total_forwards},
            {"mlp_forwards", p.total_mlp_forwards},
            {"seconds", p.total_s},
            {"hours", p.total_s / 3600}}},
          {"schedule",
           {{"devices", p.schedule.devices},
            {"makespan_s", p.schedule.makespan_s},
            {"lower_bound_s", p.schedule.lower_bound_s},
            {"longest_chain_s", p.schedule.longest_chain_s}}},
          {"schedules", schedules},
          {"note", str("an estimate from a calibration on ", p.calibration.device, ", not a measurement of the grid")}};
}

}  // namespace agf
