// `agf embed --model RUN PATH... --out FILE [--windows] [--format F]`: each track's transfer features
// (per net and concatenated; mean over windows, per window with --windows) to safetensors, .npy or CSV.
#include <cstdio>
#include <memory>

#include "agf/train/embed.h"
#include "apps/command.h"

AGF_COMMAND("embed", "transfer features of audio files and folders (per net and concatenated) to a file",
            [](CLI::App& c) {
  auto o = std::make_shared<agf::EmbedOptions>();
  c.add_option("--model", o->model_dir, "transfer folder (holds mlp.safetensors and nets/)")->required();
  c.add_option("paths", o->paths, "audio files, and folders searched recursively")->required();
  c.add_option("--out", o->out, "output file: .safetensors (default), .npy (+ .npy.json sidecar) or .csv")->required();
  c.add_option("--format", o->format, "safetensors | npy | csv (default: from --out's extension)");
  c.add_flag("--windows", o->windows, "per-window features too (safetensors) or instead of the means (npy, csv)");
  c.add_option("--hop", o->hop, "hop between windows in frames (0: the model's)")->capture_default_str();
  c.add_option("--threads", o->threads, "decode worker threads (0: every core)")->capture_default_str();
  c.add_option("--batch", o->batch, "windows per inference batch")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  c.add_flag("--quiet", o->quiet, "no progress line (failures are still reported)");
  return [o] {
    const agf::EmbedSummary s = agf::run_embed(*o);
    std::fprintf(stderr, "agf embed: %lld of %lld tracks, %lld-d features%s -> %s (%s)\n", (long long)s.embedded,
                 (long long)s.tracks, (long long)s.dim, o->windows ? agf::str(", ", s.windows, " windows").c_str() : "",
                 o->out.c_str(), s.format.c_str());
    return s.failed ? 1 : 0;
  };
});
