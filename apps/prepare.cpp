// `agf prepare --metadata DIR --audio DIR [--subset medium] --work WORK`: the dataset's mel store
// (agf/data/prepare.h). Exit 0 on success, 3 when more than --max-fail of the tracks failed.
#include "agf/data/prepare.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("prepare", "decode a dataset's audio and write its mel store in WORK", [](CLI::App& c) {
  auto o = std::make_shared<agf::PrepareOptions>();
  c.add_option("--metadata", o->metadata_dir, "FMA metadata folder (tracks.csv, genres.csv)")->required();
  c.add_option("--audio", o->audio_dir, "FMA audio folder (ddd/dddddd.mp3)")->required();
  c.add_option("--subset", o->subset, "small | medium | large | all")->capture_default_str();
  c.add_option("--work", o->work_dir, "work folder for the store and the split")->required();
  c.add_option("--split", o->split, "random (the paper's 85/15) | fma")->capture_default_str();
  c.add_option("--seed", o->seed, "seed of the random split")->capture_default_str();
  c.add_flag("--float32", o->float32, "store float32 frames (default float16)");
  c.add_option("--max-fail,--max_fail", o->max_fail_fraction, "fraction of failed tracks allowed")
      ->capture_default_str();
  c.add_option("--threads", o->threads, "decoding threads (0: all cores)")->capture_default_str();
  c.add_option("--device", o->device, "auto | cpu | cuda")->capture_default_str();
  c.add_option("--chunk", o->chunk_tracks, "tracks per part file (the unit of resumption)")->capture_default_str();
  c.add_flag("--quiet", o->quiet, "no progress output");
  auto& p = o->mel;
  c.add_option("--sr", p.sr, "sample rate (Hz)")->capture_default_str();
  c.add_option("--n_fft,--n-fft", p.n_fft, "FFT size")->capture_default_str();
  c.add_option("--hop_length,--hop-length", p.hop_length, "hop")->capture_default_str();
  c.add_option("--n_mels,--n-mels", p.n_mels, "mel bands")->capture_default_str();
  c.add_option("--fmin", p.fmin, "lowest frequency (Hz)")->capture_default_str();
  c.add_option("--fmax", p.fmax, "highest frequency (Hz)")->capture_default_str();
  c.add_option("--power", p.power, "1 magnitude, 2 power")->capture_default_str();
  return std::function<int()>([=] { return agf::run_prepare(*o); });
});

}  // namespace
