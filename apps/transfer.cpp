// `agf transfer --work WORK --nets RUN[,RUN...] --out DIR`: the nets' features -> the MLP -> per-track
// validation metrics (agf/train/transfer.h). Prints the metrics beside the majority baseline. Exit 75 when
// SIGTERM/SIGINT stopped it (the MLP checkpointed at a step boundary; --resume continues).
#include <cstdio>
#include <memory>

#include "agf/train/transfer.h"
#include "util/interrupt.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("transfer", "train the genre MLP on trained nets' features and evaluate it per track", [](CLI::App& c) {
  auto o = std::make_shared<agf::TransferOptions>();
  c.add_option("--work", o->work_dir, "work folder (mel store, split)")->required();
  c.add_option("--nets", o->nets, "source run folders or model files, comma separated")->required()->delimiter(',');
  c.add_option("--out", o->out_dir, "output folder (the self-contained model for agf predict)")->required();
  c.add_option("--epochs", o->epochs, "MLP epochs")->capture_default_str();
  c.add_option("--batch", o->batch, "batch size")->capture_default_str();
  c.add_option("--mlp-epoch", o->mlp_epoch,
               "one MLP epoch: crops (one random 1-s crop of every training track, drawn per epoch: the paper's random "
               "crops, as the nets' epochs) or windows (every --train-hop window of every training track, the same "
               "each epoch: ~30x the updates per epoch on 30-s tracks)")
      ->check(CLI::IsMember({"crops", "windows"}))
      ->capture_default_str();
  c.add_option("--train-hop", o->train_hop, "--mlp-epoch windows: hop between the training tracks' windows (frames)")
      ->capture_default_str();
  c.add_option("--eval-hop,--hop", o->eval_hop, "hop between a track's windows at evaluation (frames)")
      ->capture_default_str();
  c.add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
  c.add_option("--l2", o->l2, "L2 weight decay on the dense kernels")->capture_default_str();
  c.add_option("--seed", o->seed, "seed (init, shuffles, dropout)")->capture_default_str();
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  c.add_flag("!--no-feature-cache", o->cache_features, "do not keep the nets' features in RUN/features");
  c.add_flag("--calibrate", o->calibrate,
             "temperature scaling: hold out --calibrate-fraction of each genre's training tracks (a seeded shuffle of "
             "tracks, at least one per genre with two or more) from the MLP, fit one T > 0 minimising their per-track "
             "log loss, store it in the model (agf predict and evaluate apply it); writes OUT/reliability.svg");
  c.add_option("--calibrate-fraction", o->calibrate_fraction,
               "--calibrate: fraction of each genre's training tracks "
               "held out for the fit, in (0, 1)")
      ->capture_default_str();
  c.add_flag("--resume", o->resume,
             "continue the MLP from OUT/checkpoint.safetensors (written on SIGTERM/SIGINT at a step boundary; the "
             "result is bit-identical on the CPU to an uninterrupted run); without it a checkpoint in OUT is removed");
  c.add_flag("--quiet", o->quiet, "no progress output");
  c.footer(
      "On SIGTERM or SIGINT the MLP finishes its step in flight, writes OUT/checkpoint.safetensors and agf exits "
      "with status 75 (resumable: rerun with --resume); during feature extraction nothing needs saving (the "
      "finished nets' feature caches are kept). A third signal ends at once.");
  return std::function<int()>([=] {
    agf::InterruptHandlers stop_on_signal;  // SIGTERM/SIGINT: checkpoint at the next step boundary, exit 75
    agf::TransferResult r = agf::run_transfer(*o);
    const auto& m = r.eval.metrics;
    const auto& b = r.eval.baseline;
    std::printf("validation (%zu tracks, %d windows): log loss %.4f  macro F1 %.4f  accuracy %.4f\n",
                r.eval.track_ids.size(), r.eval.windows, m.log_loss, m.macro_f1, m.accuracy);
    std::printf("majority baseline:                log loss %.4f  macro F1 %.4f  accuracy %.4f\n", b.log_loss,
                b.macro_f1, b.accuracy);
    if (r.eval.calibrated)
      std::printf(
          "calibration: T = %.4f (on %d held-out training tracks); validation log loss %.4f -> %.4f, "
          "ECE %.4f -> %.4f (raw -> calibrated; the lines above are calibrated)\n",
          r.eval.temperature, r.eval.held_out_tracks, r.eval.raw.log_loss, m.log_loss, r.eval.ece_raw, r.eval.ece);
    else
      std::printf("ECE (15 bins): %.4f\n", r.eval.ece);
    std::printf("model: %s (%d-d features, %.1f s)\n", r.model_path.c_str(), r.feature_dim, r.seconds);
    return 0;
  });
});

AGF_COMMAND("evaluate", "evaluate a transfer model per track on a split of a work folder", [](CLI::App& c) {
  auto o = std::make_shared<agf::EvaluateOptions>();
  auto json = std::make_shared<bool>(false);
  c.add_option("--model", o->model_dir, "transfer folder (agf transfer --out)")->required();
  c.add_option("--work", o->work_dir, "work folder whose mel store to evaluate on")->required();
  c.add_option("--split", o->split, "valid | train | test")->capture_default_str();
  c.add_option("--hop", o->hop, "hop between windows (0: the model's)")->capture_default_str();
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  c.add_flag("--json", *json, "print the metrics as JSON");
  c.add_flag("--quiet", o->quiet, "no progress output");
  return std::function<int()>([=] {
    agf::EvalResult r = agf::run_evaluate(*o);
    if (*json) {
      std::printf("%s\n", agf::eval_to_json(r, o->split).dump(1).c_str());
      return 0;
    }
    const auto& m = r.metrics;
    const auto& b = r.baseline;
    std::printf("%s (%zu tracks, %d windows): log loss %.4f  macro F1 %.4f  accuracy %.4f\n", o->split.c_str(),
                r.track_ids.size(), r.windows, m.log_loss, m.macro_f1, m.accuracy);
    std::printf("majority baseline: log loss %.4f  macro F1 %.4f  accuracy %.4f\n", b.log_loss, b.macro_f1, b.accuracy);
    if (r.calibrated)
      std::printf("calibration: the model's T = %.4f; log loss %.4f -> %.4f, ECE %.4f -> %.4f (raw -> calibrated)\n",
                  r.temperature, r.raw.log_loss, m.log_loss, r.ece_raw, r.ece);
    else
      std::printf("ECE (15 bins): %.4f\n", r.ece);
    return 0;
  });
});

}  // namespace
