// `agf descriptors FILE -o OUT.npy`: the song-level descriptor vector (float32, length
// descriptor_names().size()) and its column names in OUT.names.txt (one per line).
#include <cstdio>

#include "agf/audio/decode.h"
#include "agf/audio/descriptors.h"
#include "util/fs.h"
#include "util/npy.h"
#include "apps/command.h"

namespace {

AGF_COMMAND("descriptors", "one audio file's song-level descriptors as .npy plus column names", [](CLI::App& c) {
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto names = std::make_shared<std::string>();
  auto sr = std::make_shared<int>(44100);
  c.add_option("file", *file, "audio file (WAV, FLAC, OGG, MP3)")->required();
  c.add_option("-o,--output", *out, "output .npy (float32, one row)")->required();
  c.add_option("--names", *names, "column names file (default OUT with .names.txt)");
  c.add_option("--sr", *sr, "analysis sample rate (Essentia's MusicExtractor: 44100)")->capture_default_str();
  return std::function<int()>([=] {
    std::vector<float> y = agf::load_audio(*file, *sr);
    std::vector<float> d = agf::song_descriptors(y, *sr);
    agf::write_npy(*out, d.data(), {int64_t(d.size())});
    std::string np = *names;
    if (np.empty()) {
      np = *out;
      if (np.size() > 4 && np.substr(np.size() - 4) == ".npy") np.resize(np.size() - 4);
      np += ".names.txt";
    }
    std::string names_text;
    for (const auto& n : agf::descriptor_names()) names_text += n + "\n";
    agf::write_file_atomic(np, names_text);
    std::fprintf(stderr, "descriptors: %s -> %s (%zu columns), names in %s\n", file->c_str(), out->c_str(), d.size(),
                 np.c_str());
    return 0;
  });
});

}  // namespace
