// `agf predict --model RUN PATH... [--csv F] [--jsonl F] [--submission F] [--resume]`: genres of audio
// files and folders (recursive) with a transfer model. Decoding runs in worker threads while the nets
// run on batches of windows; rows are written as tracks finish. Unreadable, silent, too short or
// non-finite inputs get a status and a reason instead of a genre; the exit status is then 1.
#include <cstdio>
#include <memory>

#include "agf/train/predict.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("predict", "genres of audio files and folders with a transfer model (agf transfer / experiment output)",
            [](CLI::App& c) {
  auto o = std::make_shared<agf::PredictOptions>();
  c.add_option("--model", o->model_dir, "transfer folder (holds mlp.safetensors and nets/)")->required();
  c.add_option("paths", o->paths,
               "audio files, and folders searched recursively for .wav .flac .ogg .oga .mp3 .aif "
               ".aiff .au")
      ->required();
  c.add_option("--top", o->top, "genres to print per file (stdout)")->check(CLI::Range(1, 16))->capture_default_str();
  c.add_option("--hop", o->hop, "hop between windows in frames (0: the model's)")->capture_default_str();
  c.add_flag("--json", o->json, "stdout: one JSON object per file instead of text");
  c.add_option("--csv", o->csv,
               "write one row per track as it finishes: path, status, top genre, windows, seconds, "
               "every genre's probability, reason");
  c.add_option("--jsonl", o->jsonl, "write one JSON object per track as it finishes (same fields)");
  c.add_option("--submission", o->submission,
               "write the WWW 2018 challenge CSV: file_id (the file name without its "
               "extension) and the 16 genre probabilities in the challenge's order");
  c.add_flag("--resume", o->resume,
             "continue existing --csv/--jsonl/--submission files: skip the tracks already in "
             "all of them (an existing file is refused without it)");
  c.add_option("--threads", o->threads, "decode worker threads (0: every core)")->capture_default_str();
  c.add_option("--batch", o->batch, "windows per inference batch, gathered across tracks")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  c.add_flag("--quiet", o->quiet, "no progress line (failures are still reported)");
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  return std::function<int()>([o] { return agf::run_predict(*o, stdout).failed ? 1 : 0; });
});

}  // namespace
