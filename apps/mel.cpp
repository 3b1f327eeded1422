// `agf mel FILE -o OUT.npy [librosa-named options]`: one file's mel spectrogram as float32 .npy,
// shape (n_mels, frames), librosa's orientation. Defaults are the paper's input (dB magnitude mel).
#include <cstdio>

#include "agf/audio/decode.h"
#include "agf/audio/mel.h"
#include "util/npy.h"
#include "apps/command.h"

namespace {

void add_mel_options(CLI::App& c, agf::MelParams& p) {
  c.add_option("--sr", p.sr, "target sample rate (Hz)")->capture_default_str();
  c.add_option("--n_fft,--n-fft", p.n_fft, "FFT size")->capture_default_str();
  c.add_option("--hop_length,--hop-length", p.hop_length, "hop between frames")->capture_default_str();
  c.add_option("--n_mels,--n-mels", p.n_mels, "mel bands")->capture_default_str();
  c.add_option("--fmin", p.fmin, "lowest frequency (Hz)")->capture_default_str();
  c.add_option("--fmax", p.fmax, "highest frequency (Hz)")->capture_default_str();
  c.add_option("--power", p.power, "1 magnitude, 2 power")->capture_default_str();
  c.add_option("--ref", p.ref, "dB reference")->capture_default_str();
  c.add_option("--amin", p.amin, "dB floor of the input")->capture_default_str();
  c.add_option("--top_db,--top-db", p.top_db, "dB range kept below the maximum (<= 0: off)")->capture_default_str();
  c.add_flag("--htk", p.htk, "HTK mel scale instead of Slaney");
  c.add_flag("!--no-center,!--no_center", p.center, "no centring (frames start at sample 0)");
  c.add_flag("!--linear", p.to_db, "linear output (no dB conversion)");
}

AGF_COMMAND("mel", "one audio file's mel spectrogram as .npy float32 (n_mels, frames)", [](CLI::App& c) {
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto p = std::make_shared<agf::MelParams>();
  c.add_option("file", *file, "audio file (WAV, FLAC, OGG, MP3)")->required();
  c.add_option("-o,--output", *out, "output .npy")->required();
  add_mel_options(c, *p);
  return std::function<int()>([=] {
    p->validate();
    std::vector<float> y = agf::load_audio(*file, p->sr);
    int frames = 0;
    std::vector<float> S = agf::mel_spectrogram(y, *p, &frames);
    agf::write_npy(*out, S.data(), {p->n_mels, frames});
    std::fprintf(stderr, "mel: %s -> %s (%d, %d), %.2f s at %d Hz\n", file->c_str(), out->c_str(), p->n_mels, frames,
                 double(y.size()) / p->sr, p->sr);
    return 0;
  });
});

}  // namespace
