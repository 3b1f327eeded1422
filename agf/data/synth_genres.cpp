// The synthesiser's genre catalogue and style table. Root ids are FMA's (genres.csv, parent 0);
// subgenre ids and titles are modelled on FMA's (several are the real ones), some two levels deep
// so genres_all carries more than one ancestor. Styles are caricatures chosen to be audibly and
// spectrally distinct (tempo, drums, bass line, harmonic rolloff, note density, noise colour).
#include <set>
#include "agf/data/fma.h"
#include "agf/data/synth_style.h"
#include "util/error.h"

// This file is data (the genre catalogue and the per-genre style table), laid out as tables by hand.
// clang-format off
namespace agf::synth {

namespace {
// Top-genre indices (alphabetical, as top_genre_names()).
enum : int { Blu, Cla, Cou, Eas, Ele, Exp, Fol, Hip, Ins, Int, Jaz, Old, Pop, Roc, Sou, Spo };
}  // namespace

const std::vector<GenreEntry>& genre_catalogue() {
  static const std::vector<GenreEntry> cat = [] {
    std::vector<GenreEntry> c = {
        // The 16 roots with FMA's ids.
        {3, 0, "Blues"}, {5, 0, "Classical"}, {9, 0, "Country"}, {13, 0, "Easy Listening"},
        {15, 0, "Electronic"}, {38, 0, "Experimental"}, {17, 0, "Folk"}, {21, 0, "Hip-Hop"},
        {1235, 0, "Instrumental"}, {2, 0, "International"}, {4, 0, "Jazz"}, {8, 0, "Old-Time / Historic"},
        {10, 0, "Pop"}, {12, 0, "Rock"}, {14, 0, "Soul-RnB"}, {20, 0, "Spoken"},
        // Subgenres.
        {240, 3, "Delta Blues"}, {241, 3, "Electric Blues"},
        {187, 5, "Composed Music"}, {322, 5, "Chamber Music"}, {441, 5, "Choral Music"},
        {63, 9, "Bluegrass"}, {651, 9, "Americana"},
        {296, 13, "Lounge"}, {297, 13, "Easy Listening: Vocal"},
        {181, 15, "Techno"}, {182, 15, "House"}, {236, 15, "IDM"}, {337, 15, "Drum & Bass"},
        {42, 15, "Ambient Electronic"}, {468, 15, "Dubstep"}, {183, 181, "Minimal Techno"},
        {1, 38, "Avant-Garde"}, {32, 38, "Noise"}, {22, 38, "Audio Collage"}, {250, 38, "Improv"},
        {103, 17, "Singer-Songwriter"}, {49, 17, "Free-Folk"}, {137, 17, "British Folk"},
        {100, 21, "Alternative Hip-Hop"}, {539, 21, "Rap"}, {542, 21, "Hip-Hop Beats"}, {580, 21, "Abstract Hip-Hop"},
        {18, 1235, "Soundtrack"}, {107, 1235, "Ambient"}, {1236, 1235, "Piano Solo"},
        {46, 2, "Latin America"}, {79, 2, "Reggae - Dub"}, {86, 2, "Indian"}, {92, 2, "African"}, {117, 2, "Balkan"},
        {37, 4, "Jazz: Vocal"}, {74, 4, "Free-Jazz"}, {97, 4, "Jazz: Out"}, {179, 4, "Bebop"},
        {151, 8, "Novelty"}, {152, 8, "Pre-War"},
        {76, 10, "Experimental Pop"}, {362, 10, "Synth Pop"}, {491, 10, "Power-Pop"},
        {25, 12, "Punk"}, {26, 12, "Post-Rock"}, {31, 12, "Metal"}, {58, 12, "Psych-Rock"}, {66, 12, "Indie-Rock"},
        {101, 31, "Death-Metal"},
        {11, 14, "Disco"}, {130, 14, "Funk"}, {131, 14, "Neo-Soul"},
        {16, 20, "Poetry"}, {188, 20, "Radio Theater"}, {189, 20, "Talk Radio"},
    };
    std::set<int> ids;
    for (auto& g : c) AGF_CHECK(ids.insert(g.id).second, Error, "synth: duplicate genre id ", g.id);
    for (auto& g : c) AGF_CHECK(g.parent == 0 || ids.count(g.parent), Error, "synth: genre ", g.id, " lacks its parent");
    return c;
  }();
  return cat;
}

const std::vector<int>& genre_pick_order() {
  static const std::vector<int> order = {Roc, Ele, Hip, Fol, Cla, Jaz, Exp, Pop,
                                         Int, Ins, Old, Cou, Sou, Blu, Spo, Eas};
  return order;
}

const std::vector<int>& fma_medium_genre_counts() {
  // fma_medium's top-genre counts (mdeff/fma, paper-notes.md), indexed like top_genre_names().
  static const std::vector<int> counts = [] {
    std::vector<int> c(kNumTopGenres, 0);
    c[Roc] = 7103; c[Ele] = 6314; c[Exp] = 2251; c[Hip] = 2201; c[Fol] = 1519; c[Ins] = 1350;
    c[Pop] = 1186; c[Int] = 1018; c[Cla] = 619;  c[Old] = 510;  c[Jaz] = 384;  c[Cou] = 178;
    c[Sou] = 154;  c[Spo] = 118;  c[Blu] = 74;   c[Eas] = 21;
    return c;
  }();
  return counts;
}

const std::vector<int>& fma_size_order() {
  static const std::vector<int> order = {Roc, Ele, Exp, Hip, Fol, Ins, Pop, Int,
                                         Cla, Old, Jaz, Cou, Sou, Spo, Blu, Eas};
  return order;
}

GenreStyle blend_styles(const GenreStyle& a, const GenreStyle& b, double w, Rng& rng) {
  GenreStyle s = a;
  auto mix = [w](double x, double y) { return (1 - w) * x + w * y; };
  s.tempo_lo = mix(a.tempo_lo, b.tempo_lo);
  s.tempo_hi = mix(a.tempo_hi, b.tempo_hi);
  s.rolloff = mix(a.rolloff, b.rolloff);
  s.even = mix(a.even, b.even);
  s.attack = mix(a.attack, b.attack);
  s.release = mix(a.release, b.release);
  s.density = mix(a.density, b.density);
  s.noise_level = mix(a.noise_level, b.noise_level);
  s.drum_level = mix(a.drum_level, b.drum_level);
  s.bass_level = mix(a.bass_level, b.bass_level);
  s.harm_level = mix(a.harm_level, b.harm_level);
  s.swing = mix(a.swing, b.swing);
  s.drive_lo = mix(a.drive_lo, b.drive_lo);
  s.drive_hi = mix(a.drive_hi, b.drive_hi);
  s.lowpass_lo = mix(a.lowpass_lo, b.lowpass_lo);
  s.lowpass_hi = mix(a.lowpass_hi, b.lowpass_hi);
  // Instruments: each borrowed from the neighbour with probability w.
  if (rng.chance(w)) s.drums = b.drums;
  if (rng.chance(w)) s.bass = b.bass;
  if (rng.chance(w)) s.scale = b.scale;
  if (rng.chance(w)) s.pad = b.pad;
  if (rng.chance(w)) s.noise = b.noise;
  if (s.drums != Drums::None && s.drum_level < 0.2) s.drum_level = 0.2;  // borrowed drums are audible
  if (s.bass != Bass::None && s.bass_level < 0.2) s.bass_level = 0.2;
  return s;
}

const std::vector<GenreStyle>& genre_styles() {
  // Subgenre variant: {id, tempo x, rolloff +, density x, noise +, drum kit (Inherit: genre's)}.
  using D = Drums;
  using B = Bass;
  using S = Scale;
  using N = Noise;
  static const std::vector<GenreStyle> styles = [] {
    std::vector<GenreStyle> s(kNumTopGenres);
    //      top  root  tempo      drums          bass         roll even att    rel   dens noise    nl     dl   bl   hl   swing drive     lowpass       scale        pad    speech
    s[Blu] = {Blu, 3, 70, 100, D::Shuffle, B::Walking, 1.2, 0.9, 0.010, 0.40, 1.5, N::Pink, 0.020, 0.50, 0.6, 0.6, 0.25, 1.0, 2.0, 2500, 5000, S::Blues, false, false,
              {Jaz, Roc, Cou, Sou}, {{240, 0.9, 0.2, 0.8, 0.01, D::Sparse}, {241, 1.1, -0.3, 1.2, 0.0, D::Inherit}}};
    s[Cla] = {Cla, 5, 60, 100, D::None, B::Held, 1.8, 0.6, 0.150, 1.00, 1.0, N::Pink, 0.005, 0.00, 0.3, 0.8, 0.0, 1.0, 1.0, 3000, 7000, S::Harmonic, true, false,
              {Ins, Old, Jaz, Eas}, {{187, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {322, 1.2, -0.2, 1.5, 0.0, D::Inherit}, {441, 0.8, 0.4, 0.6, 0.0, D::Inherit}}};
    s[Cou] = {Cou, 9, 90, 130, D::Rock, B::Octave, 1.1, 0.8, 0.005, 0.30, 2.0, N::Pink, 0.010, 0.40, 0.6, 0.7, 0.05, 1.0, 1.3, 3500, 6500, S::Major, false, false,
              {Fol, Roc, Blu, Old}, {{63, 1.25, -0.1, 2.0, 0.0, D::Sparse}, {651, 0.9, 0.1, 0.8, 0.0, D::Inherit}}};
    s[Eas] = {Eas, 13, 70, 100, D::Brushes, B::Held, 2.2, 0.5, 0.080, 0.80, 0.75, N::Pink, 0.010, 0.25, 0.5, 0.8, 0.10, 1.0, 1.0, 2500, 4500, S::Major, true, false,
              {Jaz, Pop, Ins, Cla}, {{296, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {297, 0.9, 0.2, 0.7, 0.0, D::Inherit}}};
    s[Ele] = {Ele, 15, 120, 135, D::FourFloor, B::Pulse, 0.7, 1.0, 0.005, 0.15, 4.0, N::White, 0.030, 0.80, 0.8, 0.5, 0.0, 1.0, 1.8, 4000, 9000, S::Minor, false, false,
              {Hip, Exp, Pop, Ins}, {{181, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {182, 0.95, 0.2, 0.75, 0.0, D::Inherit}, {236, 1.0, -0.2, 1.3, 0.03, D::Irregular},
                                    {337, 1.3, 0.0, 1.0, 0.0, D::Breakbeat}, {42, 0.8, 0.6, 0.4, 0.02, D::None}, {468, 1.1, 0.2, 0.8, 0.0, D::Halftime},
                                    {183, 1.0, 0.3, 0.5, 0.0, D::Inherit}}};
    s[Exp] = {Exp, 38, 50, 160, D::Irregular, B::None, 0.4, 0.3, 0.001, 0.60, 1.5, N::White, 0.150, 0.40, 0.2, 0.6, 0.0, 1.0, 8.0, 2000, 10000, S::Chromatic, false, false,
              {Ele, Ins, Roc, Spo}, {{1, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {32, 1.0, -0.2, 1.5, 0.2, D::Inherit}, {22, 0.8, 0.3, 0.5, 0.05, D::None}, {250, 1.2, 0.2, 2.0, 0.0, D::Sparse}}};
    s[Fol] = {Fol, 17, 85, 120, D::Sparse, B::Held, 1.4, 0.85, 0.003, 0.50, 2.0, N::Pink, 0.010, 0.20, 0.5, 0.9, 0.05, 1.0, 1.0, 3000, 6000, S::Major, false, false,
              {Cou, Roc, Int, Old}, {{103, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {49, 0.9, 0.3, 0.7, 0.01, D::None}, {137, 1.1, -0.2, 1.3, 0.0, D::Inherit}}};
    s[Hip] = {Hip, 21, 80, 98, D::BoomBap, B::Held, 1.6, 0.7, 0.010, 0.30, 1.0, N::Brown, 0.040, 0.90, 0.9, 0.5, 0.15, 1.0, 1.5, 2500, 5000, S::Dorian, false, false,
              {Ele, Sou, Pop, Spo}, {{100, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {539, 1.05, -0.2, 1.2, 0.0, D::Inherit}, {542, 0.95, 0.2, 0.8, 0.02, D::Inherit}, {580, 0.9, 0.3, 0.7, 0.03, D::Halftime}}};
    s[Ins] = {Ins, 1235, 70, 110, D::Halftime, B::Held, 1.5, 0.5, 0.300, 1.50, 0.5, N::Pink, 0.020, 0.30, 0.5, 0.8, 0.0, 1.0, 1.2, 2500, 6000, S::Minor, true, false,
              {Cla, Ele, Exp, Eas}, {{18, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {107, 0.8, 0.4, 0.5, 0.02, D::None}, {1236, 1.0, 0.6, 2.0, 0.0, D::None}}};
    s[Int] = {Int, 2, 95, 125, D::Latin, B::Octave, 1.0, 0.4, 0.005, 0.25, 3.0, N::Pink, 0.015, 0.60, 0.6, 0.7, 0.10, 1.0, 1.3, 3500, 7000, S::Harmonic, false, false,
              {Fol, Pop, Jaz, Sou}, {{46, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {79, 0.75, 0.3, 0.5, 0.0, D::Halftime}, {86, 1.1, -0.2, 1.5, 0.01, D::Sparse},
                                    {92, 1.05, 0.0, 1.2, 0.0, D::Inherit}, {117, 1.2, -0.1, 1.3, 0.0, D::Inherit}}};
    s[Jaz] = {Jaz, 4, 110, 180, D::Brushes, B::Walking, 1.5, 0.6, 0.020, 0.35, 2.5, N::Pink, 0.010, 0.40, 0.6, 0.7, 0.30, 1.0, 1.2, 3000, 6000, S::Dorian, false, false,
              {Blu, Sou, Cla, Eas}, {{37, 0.8, 0.3, 0.6, 0.0, D::Inherit}, {74, 1.2, -0.3, 2.0, 0.02, D::Irregular}, {97, 1.0, 0.0, 1.2, 0.0, D::Inherit}, {179, 1.3, 0.0, 1.5, 0.0, D::Inherit}}};
    s[Old] = {Old, 8, 90, 130, D::Sparse, B::Octave, 1.0, 0.9, 0.005, 0.30, 2.0, N::Brown, 0.120, 0.30, 0.5, 0.8, 0.20, 1.0, 1.5, 1200, 2500, S::Major, false, false,
              {Fol, Cou, Cla, Blu}, {{151, 1.2, 0.0, 1.3, 0.0, D::Inherit}, {152, 0.9, 0.2, 0.8, 0.05, D::Inherit}}};
    s[Pop] = {Pop, 10, 100, 128, D::Rock, B::Pulse, 1.1, 0.8, 0.010, 0.30, 2.0, N::Pink, 0.010, 0.60, 0.6, 0.7, 0.0, 1.0, 1.3, 4000, 8000, S::Major, true, false,
              {Roc, Ele, Sou, Eas}, {{76, 1.0, -0.2, 1.2, 0.02, D::Irregular}, {362, 1.05, -0.3, 1.5, 0.0, D::FourFloor}, {491, 1.1, 0.0, 1.0, 0.0, D::Inherit}}};
    s[Roc] = {Roc, 12, 110, 150, D::Rock, B::Pulse, 0.8, 0.9, 0.002, 0.30, 2.0, N::White, 0.020, 0.80, 0.7, 0.7, 0.0, 2.0, 6.0, 3000, 7000, S::PentMinor, false, false,
              {Pop, Blu, Cou, Exp}, {{25, 1.3, -0.1, 1.5, 0.02, D::Inherit}, {26, 0.8, 0.4, 0.6, 0.0, D::Halftime}, {31, 1.2, -0.2, 2.0, 0.01, D::Inherit},
                                    {58, 0.9, 0.2, 1.0, 0.02, D::Inherit}, {66, 1.0, 0.1, 1.0, 0.0, D::Inherit}, {101, 1.4, -0.3, 3.0, 0.03, D::Breakbeat}}};
    s[Sou] = {Sou, 14, 70, 100, D::Halftime, B::Arpeggio, 1.4, 0.6, 0.020, 0.40, 1.5, N::Pink, 0.010, 0.60, 0.7, 0.6, 0.10, 1.0, 1.3, 3000, 6000, S::Dorian, true, false,
              {Hip, Jaz, Pop, Blu}, {{11, 1.25, -0.1, 1.2, 0.0, D::FourFloor}, {130, 1.1, -0.2, 1.5, 0.0, D::BoomBap}, {131, 0.9, 0.2, 0.8, 0.0, D::Inherit}}};
    s[Spo] = {Spo, 20, 60, 100, D::None, B::None, 1.0, 1.0, 0.010, 0.10, 4.0, N::Brown, 0.020, 0.00, 0.0, 0.9, 0.0, 1.0, 1.0, 3000, 5000, S::Major, false, true,
              {Exp, Fol, Hip, Old}, {{16, 1.0, 0.0, 1.0, 0.0, D::Inherit}, {188, 1.1, 0.0, 1.2, 0.02, D::Inherit}, {189, 1.2, 0.0, 1.4, 0.01, D::Inherit}}};
    for (int g = 0; g < kNumTopGenres; ++g) AGF_CHECK(s[g].top == g, Error, "synth: style table out of order at ", g);
    return s;
  }();
  return styles;
}

}  // namespace agf::synth
// clang-format on
