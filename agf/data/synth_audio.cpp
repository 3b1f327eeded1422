// The synthesiser's renderer: drums (pitch-swept kick, noise snare, hi-hat) on 16-step patterns,
// a bass line, a chord pad and a lead from band-limited wavetables, or a formant "voice", a
// coloured noise bed, and the artist's effects (tremolo, tanh drive, one-pole low-pass, echo).
// Everything derives from the style, the artist voice and the track's own Rng: deterministic.
#include <algorithm>
#include <array>
#include <cmath>
#include "agf/data/synth_style.h"

namespace agf::synth {

namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr int kTable = 2048;

double midi_hz(double m) { return 440.0 * std::pow(2.0, (m - 69.0) / 12.0); }

// Band-limited single-cycle tables of one timbre, one per harmonic count (1..16).
class Timbre {
 public:
  Timbre(const double* harm, int n) : harm_(harm, harm + n), tables_(n + 1) {}
  const std::vector<float>& table(double hz, int sr) {
    int nh = std::clamp(int(0.45 * sr / hz), 1, int(harm_.size()));
    auto& t = tables_[nh];
    if (t.empty()) {
      t.assign(kTable + 1, 0.f);
      double peak = 0;
      std::vector<double> acc(kTable, 0.0);
      for (int k = 1; k <= nh; ++k)
        for (int i = 0; i < kTable; ++i) acc[i] += harm_[k - 1] * std::sin(kTwoPi * k * i / kTable);
      for (double v : acc) peak = std::max(peak, std::fabs(v));
      for (int i = 0; i < kTable; ++i) t[i] = float(acc[i] / (peak > 0 ? peak : 1));
      t[kTable] = t[0];
    }
    return t;
  }

 private:
  std::vector<double> harm_;
  std::vector<std::vector<float>> tables_;
};

// Adds a note: linear attack, exponential decay (time constant `decay`), 5 ms fade at the end.
void add_note(std::vector<float>& buf, int sr, Timbre& tim, double hz, double t0, double dur, double amp, double attack,
              double decay) {
  const auto& tab = tim.table(hz, sr);
  int64_t i0 = int64_t(t0 * sr), n = int64_t(dur * sr);
  if (i0 >= int64_t(buf.size()) || n <= 0) return;
  n = std::min<int64_t>(n, int64_t(buf.size()) - i0);
  double phase = 0, inc = hz * kTable / sr;
  const double fade = 0.005 * sr, att = std::max(1.0, attack * sr), dec = std::max(1e-3, decay) * sr;
  for (int64_t j = 0; j < n; ++j) {
    double env = j < att ? j / att : std::exp(-(j - att) / dec);
    if (n - j < fade) env *= (n - j) / fade;
    int k = int(phase);
    double f = phase - k;
    buf[size_t(i0 + j)] += float(amp * env * (tab[k] + f * (tab[k + 1] - tab[k])));
    phase += inc;
    if (phase >= kTable) phase -= kTable;
  }
}

void add_sample(std::vector<float>& buf, const std::vector<float>& one_shot, double t0, double amp, int sr) {
  int64_t i0 = int64_t(t0 * sr);
  for (size_t j = 0; j < one_shot.size() && i0 + int64_t(j) < int64_t(buf.size()); ++j)
    if (i0 + int64_t(j) >= 0) buf[size_t(i0 + j)] += float(amp * one_shot[j]);
}

struct Kit {
  std::vector<float> kick, snare, hat;
};

Kit make_kit(const ArtistVoice& v, bool brushes, Rng& rng, int sr) {
  Kit k;
  k.kick.resize(size_t(0.25 * sr));
  double ph = 0;
  for (size_t i = 0; i < k.kick.size(); ++i) {
    double t = double(i) / sr, f = v.kick_hz * (1 + 3 * std::exp(-t / 0.03));
    ph += kTwoPi * f / sr;
    k.kick[i] = float(std::sin(ph) * std::exp(-t / 0.12));
  }
  k.snare.resize(size_t((brushes ? 0.3 : 0.2) * sr));
  double prev = 0, lp = 0;
  for (size_t i = 0; i < k.snare.size(); ++i) {
    double t = double(i) / sr, w = rng.uniform(-1, 1);
    double noise = brushes ? (lp += 0.3 * (w - lp)) : w - prev;  // brushes: dull swish; snare: bright
    prev = w;
    double tone = brushes ? 0 : 0.5 * std::sin(kTwoPi * v.snare_tone_hz * t) * std::exp(-t / 0.04);
    k.snare[i] = float(0.7 * noise * std::exp(-t / (brushes ? 0.12 : 0.06)) + tone);
  }
  k.hat.resize(size_t(0.12 * sr));
  prev = 0;
  for (size_t i = 0; i < k.hat.size(); ++i) {
    double t = double(i) / sr, w = rng.uniform(-1, 1);
    k.hat[i] = float(0.5 * (w - prev) * std::exp(-t / v.hat_decay_s));
    prev = w;
  }
  return k;
}

struct Pattern {
  std::array<bool, 16> kick{}, snare{}, hat{};
};

Pattern pattern_of(Drums d, int variant, Rng& rng) {
  auto set = [](std::array<bool, 16>& a, const char* s) {
    for (int i = 0; i < 16; ++i) a[i] = s[i] == 'x';
  };
  Pattern p;
  const char *k = "................", *s = k, *h = k;
  // One drum pattern a line (kick, snare, hat over 16 steps).
  // clang-format off
  switch (d) {
    case Drums::Rock: k = "x.......x.x....."; s = "....x.......x..."; h = "x.x.x.x.x.x.x.x."; break;
    case Drums::FourFloor: k = "x...x...x...x..."; s = "....x.......x..."; h = "..x...x...x...x."; break;
    case Drums::Breakbeat: k = "x.........x....."; s = "....x..x.x..x..."; h = "xxxxxxxxxxxxxxxx"; break;
    case Drums::BoomBap: k = "x......x..x....."; s = "....x.......x..."; h = "x.x.x.x.x.x.x.x."; break;
    case Drums::Shuffle: k = "x.....x.x.....x."; s = "....x.......x..."; h = "x..x.xx..x.xx..x"; break;
    case Drums::Brushes: k = "x.......x......."; s = "x.x.x.x.x.x.x.x."; h = "....x.......x..."; break;
    case Drums::Sparse: k = "x.......x......."; s = "................"; h = "....x.......x..."; break;
    case Drums::Latin: k = "x..x..x.x..x..x."; s = "...x..x....x..x."; h = "x.xxx.xxx.xxx.xx"; break;
    case Drums::Halftime: k = "x.........x....."; s = "........x......."; h = "x.x.x.x.x.x.x.x."; break;
    default: break;
  }
  // clang-format on
  set(p.kick, k);
  set(p.snare, s);
  set(p.hat, h);
  if (d == Drums::Irregular)
    for (int i = 0; i < 16; ++i) {
      p.kick[i] = rng.chance(0.2);
      p.snare[i] = rng.chance(0.12);
      p.hat[i] = rng.chance(0.3);
    }
  switch (variant) {  // the artist's habit
    case 1: p.kick[14] = true; break;
    case 2:
      for (int i = 1; i < 16; i += 4) p.hat[i] = true;
      break;
    case 3: p.snare[7] = p.snare[15] = d != Drums::None && d != Drums::Sparse; break;
    default: break;
  }
  return p;
}

std::vector<int> scale_of(Scale s) {
  switch (s) {
    case Scale::Major: return {0, 2, 4, 5, 7, 9, 11};
    case Scale::Minor: return {0, 2, 3, 5, 7, 8, 10};
    case Scale::PentMinor: return {0, 3, 5, 7, 10};
    case Scale::Blues: return {0, 3, 5, 6, 7, 10};
    case Scale::Dorian: return {0, 2, 3, 5, 7, 9, 10};
    case Scale::Chromatic: return {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    case Scale::Harmonic: return {0, 1, 4, 5, 7, 8, 10};
  }
  return {0, 2, 4, 5, 7, 9, 11};
}

// Semitones above the tonic of scale degree d (any integer; wraps by octaves).
int degree(const std::vector<int>& sc, int d) {
  int n = int(sc.size()), o = d >= 0 ? d / n : -((-d + n - 1) / n);
  return sc[size_t(d - o * n)] + 12 * o;
}

void add_noise_bed(std::vector<float>& out, Noise colour, double level, Rng& rng) {
  double b0 = 0, b1 = 0, b2 = 0, brown = 0;
  for (auto& y : out) {
    double w = rng.uniform(-1, 1), v;
    if (colour == Noise::White) {
      v = w;
    } else if (colour == Noise::Pink) {  // Paul Kellet's economy pink filter
      b0 = 0.99765 * b0 + w * 0.0990460;
      b1 = 0.96300 * b1 + w * 0.2965164;
      b2 = 0.57000 * b2 + w * 1.0526913;
      v = (b0 + b1 + b2 + w * 0.1848) * 0.25;
    } else {
      brown = 0.995 * brown + 0.1 * w;
      v = brown;
    }
    y += float(level * v);
  }
}

// Formant "speech": a jittered glottal pulse train through two resonators, in syllables.
void add_speech(std::vector<float>& bus, int sr, const ArtistVoice& v, double rate, Rng& rng) {
  static const double formants[5][2] = {{730, 1090}, {270, 2290}, {530, 1840}, {570, 840}, {300, 870}};
  double f0 = midi_hz(v.key + 12 + 7);
  double t = rng.uniform(0, 0.2);
  const double len = double(bus.size()) / sr;
  while (t < len) {
    int syl = int(rng.range(3, 9));
    for (int s = 0; s < syl && t < len; ++s) {
      double dur = rng.uniform(0.6, 1.4) / rate, pitch = f0 * std::exp(0.1 * rng.normal());
      const double* F = formants[rng.below(5)];
      double y1[2] = {0, 0}, y2[2] = {0, 0}, ph = 0;
      int64_t i0 = int64_t(t * sr), n = int64_t(dur * sr);
      for (int64_t j = 0; j < n && i0 + j < int64_t(bus.size()); ++j) {
        double x = 0;
        ph += pitch * (1 - 0.1 * double(j) / n) / sr;  // falling intonation
        if (ph >= 1) {
          ph -= 1;
          x = 1;
        }
        double out = 0;
        for (int r = 0; r < 2; ++r) {  // two-pole resonator at F[r], bandwidth 100 Hz
          double R = std::exp(-kTwoPi * 100.0 / sr), c = 2 * R * std::cos(kTwoPi * F[r] / sr);
          double y = x + c * y1[r] - R * R * y2[r];
          y2[r] = y1[r];
          y1[r] = y;
          out += y * (r == 0 ? 1.0 : 0.6);
        }
        double env = std::sin(3.141592653589793 * double(j) / n);
        bus[size_t(i0 + j)] += float(0.15 * env * out);
      }
      t += dur;
    }
    t += rng.uniform(0.3, 0.9);  // a pause between phrases
  }
}

}  // namespace

ArtistVoice make_artist_voice(const GenreStyle& g, Rng& rng) {
  ArtistVoice v{};
  int peak = int(rng.range(2, 8));  // the artist's formant: one emphasised harmonic region
  for (int k = 1; k <= 16; ++k) {
    double a = 1.0 / std::pow(k, g.rolloff);
    if (k % 2 == 0) a *= g.even;
    a *= std::exp(0.5 * rng.normal()) * (1.0 + 2.0 * std::exp(-0.5 * (k - peak) * (k - peak)));
    v.harm[k - 1] = a;
  }
  double bass_roll = rng.uniform(1.0, 2.5);
  for (int k = 1; k <= 8; ++k) v.bass_harm[k - 1] = 1.0 / std::pow(k, bass_roll);
  v.tempo = rng.uniform(g.tempo_lo, g.tempo_hi);
  v.key = 36 + int(rng.below(12));
  v.detune_cents = rng.chance(0.5) ? rng.uniform(4, 15) : 0.0;
  bool echo = rng.chance(0.5);
  v.echo_s = echo ? rng.uniform(0.12, 0.45) : 0.0;
  v.echo_fb = echo ? rng.uniform(0.2, 0.5) : 0.0;
  v.echo_mix = echo ? rng.uniform(0.2, 0.45) : 0.0;
  v.drive = rng.uniform(g.drive_lo, g.drive_hi);
  bool trem = rng.chance(0.3);
  v.trem_hz = trem ? rng.uniform(3, 7) : 0.0;
  v.trem_depth = trem ? rng.uniform(0.2, 0.5) : 0.0;
  v.lowpass_hz = rng.uniform(g.lowpass_lo, g.lowpass_hi);
  v.kick_hz = rng.uniform(45, 70);
  v.snare_tone_hz = rng.uniform(160, 260);
  v.hat_decay_s = rng.uniform(0.02, 0.08);
  v.pattern_variant = int(rng.below(4));
  v.noise_tint = std::exp(0.4 * rng.normal());
  return v;
}

std::vector<float> render_track(const GenreStyle& g, const Subgenre& sub, const ArtistVoice& v, Rng& rng,
                                double seconds, int sr) {
  const size_t n = size_t(seconds * sr);
  std::vector<float> drums(n, 0.f), bass(n, 0.f), lead(n, 0.f), out(n, 0.f);
  const double tempo = std::clamp(v.tempo * sub.tempo_mul * (1 + 0.03 * rng.normal()), 40.0, 220.0);
  const double beat = 60.0 / tempo, step = beat / 4, bar = 4 * beat;
  const auto sc = scale_of(g.scale);
  const int nsc = int(sc.size());

  // Chord progression: four bars, first on the tonic.
  std::array<int, 4> prog{0, 0, 0, 0};
  for (int i = 1; i < 4; ++i) prog[i] = int(rng.pick(std::vector<int>{1, 3, 4, 5})) % nsc;
  auto chord_root = [&](double t) { return prog[size_t(int(t / bar)) % 4]; };

  // Drums.
  Drums kit_kind = sub.drum_kit == Drums::Inherit ? g.drums : sub.drum_kit;
  if (kit_kind != Drums::None && g.drum_level > 0) {
    Kit kit = make_kit(v, kit_kind == Drums::Brushes, rng, sr);
    Pattern p = pattern_of(kit_kind, v.pattern_variant, rng);
    for (int s = 0; double(s) * step < seconds; ++s) {
      int i = s % 16;
      double t = s * step + (i % 2 ? g.swing * step : 0.0);
      double vel = 0.8 + 0.2 * rng.uniform();
      if (p.kick[i]) add_sample(drums, kit.kick, t, vel, sr);
      if (p.snare[i]) add_sample(drums, kit.snare, t, 0.8 * vel, sr);
      if (p.hat[i]) add_sample(drums, kit.hat, t, 0.5 * vel, sr);
    }
  }

  // Bass.
  Timbre bass_tim(v.bass_harm, 8);
  auto bass_note = [&](int deg, double t, double dur, double amp) {
    add_note(bass, sr, bass_tim, midi_hz(v.key + degree(sc, deg)), t, dur, amp, 0.005, 0.6 * dur + 0.05);
  };
  for (double t = 0; t < seconds; t += beat) {
    int root = chord_root(t), b = int(std::lround(t / beat)) % 4;
    switch (g.bass) {
      case Bass::None: break;
      case Bass::Held:
        if (b == 0) bass_note(root, t, bar, 0.8);
        break;
      case Bass::Pulse:
        bass_note(root, t, beat / 2, 0.7);
        bass_note(root, t + beat / 2, beat / 2, 0.6);
        break;
      case Bass::Walking: bass_note(root + b, t, beat * 0.95, 0.7); break;
      case Bass::Octave: bass_note(root + (b % 2 ? 4 : 0), t, beat * 0.8, 0.7); break;
      case Bass::Arpeggio:
        bass_note(root + 2 * (b % 3), t, beat / 2, 0.7);
        bass_note(root + 7, t + beat / 2, beat / 2, 0.5);
        break;
    }
  }

  // Lead, pad, or speech.
  double harm[16];
  for (int k = 1; k <= 16; ++k) harm[k - 1] = v.harm[k - 1] / std::pow(k, sub.bright_add);
  Timbre lead_tim(harm, 16);
  if (g.speech) {
    add_speech(lead, sr, v, g.density * sub.density_mul, rng);
  } else {
    const double p_note = std::min(1.0, g.density * sub.density_mul / 4.0);
    int pos = 0;  // scale degree of the melody relative to the chord root
    for (int s = 0; double(s) * step < seconds; ++s) {
      if (!rng.chance(p_note)) continue;
      double t = s * step + (s % 2 ? g.swing * step : 0.0);
      pos = std::clamp(pos + int(rng.range(-2, 2)), -3, 9);
      double hz = midi_hz(v.key + 24 + degree(sc, chord_root(t) + pos));
      double dur = step * double(rng.range(1, 4)) + g.release * 0.5, amp = 0.35 * (0.7 + 0.3 * rng.uniform());
      add_note(lead, sr, lead_tim, hz, t, dur, amp, g.attack, g.release);
      if (v.detune_cents > 0)
        add_note(lead, sr, lead_tim, hz * std::pow(2.0, v.detune_cents / 1200), t, dur, amp * 0.7, g.attack, g.release);
    }
    if (g.pad) {
      double soft[16];
      for (int k = 0; k < 16; ++k) soft[k] = harm[k] / (k + 1);
      Timbre pad_tim(soft, 16);
      for (double t = 0; t < seconds; t += bar)
        for (int c = 0; c < 3; ++c)
          add_note(lead, sr, pad_tim, midi_hz(v.key + 12 + degree(sc, chord_root(t) + 2 * c)), t, bar, 0.12,
                   std::min(0.4, bar / 3), 2.0 * bar);
    }
  }

  // Artist effects on the lead bus: tremolo, drive, low-pass, echo.
  const double a_lp = 1 - std::exp(-kTwoPi * v.lowpass_hz / sr), norm = std::tanh(v.drive);
  const size_t delay = size_t(v.echo_s * sr);
  double lp = 0;
  for (size_t i = 0; i < n; ++i) {
    double x = lead[i];
    if (v.trem_depth > 0) x *= 1 - v.trem_depth * (0.5 + 0.5 * std::sin(kTwoPi * v.trem_hz * double(i) / sr));
    if (v.drive > 1.01) x = std::tanh(v.drive * x) / norm;
    lp += a_lp * (x - lp);
    lead[i] = float(lp);
  }
  if (delay > 0)
    for (size_t i = delay; i < n; ++i) lead[i] += float(v.echo_fb * lead[i - delay] * (v.echo_mix / 0.3));

  for (size_t i = 0; i < n; ++i)
    out[i] = float(g.drum_level * drums[i] + g.bass_level * bass[i] + g.harm_level * lead[i]);
  add_noise_bed(out, g.noise, (g.noise_level + sub.noise_add) * v.noise_tint, rng);
  if (g.noise == Noise::Brown && g.noise_level > 0.05)  // record crackle
    for (size_t i = 0; i < n; ++i)
      if (rng.chance(4.0 / sr)) out[i] += float(rng.uniform(-0.3, 0.3));

  double peak = 0;
  for (float y : out) peak = std::max(peak, double(std::fabs(y)));
  const double gain = peak > 0 ? 0.89 / peak : 0.0, fade = 0.01 * sr;
  for (size_t i = 0; i < n; ++i) {
    double e = std::min({1.0, double(i) / fade, double(n - 1 - i) / fade});
    out[i] = float(out[i] * gain * e);
  }
  return out;
}

}  // namespace agf::synth
