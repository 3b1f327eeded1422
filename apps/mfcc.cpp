// `agf mfcc FILE -o OUT.npy [--delta-output D.npy]`: librosa.feature.mfcc at the AGF defaults
// (13 from 40 mels, n_fft 2048, hop 1024, 22,050 Hz) as float32 (n_mfcc, frames); optional
// delta-MFCC (n_mfcc, frames - 1).
#include <cstdio>

#include "agf/audio/decode.h"
#include "agf/audio/mfcc.h"
#include "util/npy.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("mfcc", "one audio file's MFCC (and delta-MFCC) as .npy float32 (n_mfcc, frames)", [](CLI::App& c) {
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto dout = std::make_shared<std::string>();
  auto p = std::make_shared<agf::MfccParams>();
  c.add_option("file", *file, "audio file (WAV, FLAC, OGG, MP3)")->required();
  c.add_option("-o,--output", *out, "output .npy")->required();
  c.add_option("--delta-output,--delta_output", *dout, "also write delta-MFCC here");
  c.add_option("--sr", p->sr, "target sample rate (Hz)")->capture_default_str();
  c.add_option("--n_fft,--n-fft", p->n_fft, "FFT size")->capture_default_str();
  c.add_option("--hop_length,--hop-length", p->hop_length, "hop")->capture_default_str();
  c.add_option("--n_mels,--n-mels", p->n_mels, "mel bands")->capture_default_str();
  c.add_option("--n_mfcc,--n-mfcc", p->n_mfcc, "coefficients")->capture_default_str();
  return std::function<int()>([=] {
    std::vector<float> y = agf::load_audio(*file, p->sr);
    int frames = 0;
    std::vector<float> m = agf::mfcc(y, *p, &frames);
    agf::write_npy(*out, m.data(), {p->n_mfcc, frames});
    if (!dout->empty()) {
      std::vector<float> d = agf::delta_mfcc(m, p->n_mfcc, frames);
      agf::write_npy(*dout, d.data(), {p->n_mfcc, frames > 0 ? frames - 1 : 0});
    }
    std::fprintf(stderr, "mfcc: %s -> %s (%d, %d)\n", file->c_str(), out->c_str(), p->n_mfcc, frames);
    return 0;
  });
});

}  // namespace
