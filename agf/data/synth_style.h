// Internal to the synthesiser: the genre catalogue (FMA's 16 roots with their real ids, and
// real-looking subgenres), each genre's style distribution, an artist's signature, and the
// renderer that turns (style, subgenre variant, artist, track seed) into samples.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "agf/data/synth_rng.h"

namespace agf::synth {

struct GenreEntry {  // one row of genres.csv
  int id, parent;
  std::string title;
};

enum class Bass { None, Held, Pulse, Walking, Octave, Arpeggio };
enum class Drums {
  Inherit,
  None,
  Rock,
  FourFloor,
  Breakbeat,
  BoomBap,
  Shuffle,
  Brushes,
  Sparse,
  Irregular,
  Latin,
  Halftime
};
enum class Scale { Major, Minor, PentMinor, Blues, Dorian, Chromatic, Harmonic };
enum class Noise { White, Pink, Brown };

struct Subgenre {
  int id;
  double tempo_mul, bright_add, density_mul, noise_add;
  Drums drum_kit;  // Inherit: the genre's own
};

struct GenreStyle {
  int top;                    // index into top_genre_names()
  int root_id;                // FMA root genre id
  double tempo_lo, tempo_hi;  // BPM
  Drums drums;
  Bass bass;
  double rolloff;          // harmonic amplitude ~ 1 / k^rolloff (small: bright)
  double even;             // weight of even harmonics (0: square-like, 1: saw-like)
  double attack, release;  // lead envelope, seconds
  double density;          // lead notes per beat
  Noise noise;
  double noise_level, drum_level, bass_level, harm_level;
  double swing;                   // 0..0.3 of a 16th
  double drive_lo, drive_hi;      // range of artists' distortion drive (1 = clean)
  double lowpass_lo, lowpass_hi;  // range of artists' lead low-pass cutoff, Hz
  Scale scale;
  bool pad;                     // sustained chords under the lead
  bool speech;                  // formant "voice" instead of a lead (Spoken)
  std::vector<int> neighbours;  // top indices, nearest first (for mislabelling and second genres)
  std::vector<Subgenre> subs;
};

// Catalogue of genres.csv rows (roots first, then subgenres), unique ids, parents present.
const std::vector<GenreEntry>& genre_catalogue();
// Style of each of the 16 top genres, indexed like top_genre_names().
const std::vector<GenreStyle>& genre_styles();
// The order in which `--genres G` takes top genres (most distinct styles first).
const std::vector<int>& genre_pick_order();

// fma_medium's track count per top genre (indexed like top_genre_names()), and the top genres from
// the largest to the smallest (the order `--genres G` takes them in the fma preset).
const std::vector<int>& fma_medium_genre_counts();
const std::vector<int>& fma_size_order();

// A style between `a` and its neighbour `b`: continuous parameters (tempo range, timbre, density,
// levels, swing, drive, low-pass) interpolated at weight w, and each instrument (drum pattern, bass
// line, scale, pad, noise colour) borrowed from b with probability w. Subgenres, neighbours and
// speech stay a's.
GenreStyle blend_styles(const GenreStyle& a, const GenreStyle& b, double w, Rng& rng);

struct ArtistVoice {
  double harm[16];  // harmonic amplitudes of the lead wavetable
  double bass_harm[8];
  double tempo;         // BPM centre
  int key;              // MIDI note of the tonic, bass octave (36..47)
  double detune_cents;  // chorus spread of the lead
  double echo_s, echo_fb, echo_mix;
  double drive;  // tanh drive of the lead bus (1 = clean)
  double trem_hz, trem_depth;
  double lowpass_hz;                           // one-pole low-pass on the lead bus
  double kick_hz, snare_tone_hz, hat_decay_s;  // drum kit tint
  int pattern_variant;                         // small variation of the genre's drum pattern
  double noise_tint;                           // multiplies the genre's noise level
};

// An artist's signature drawn inside a genre's style.
ArtistVoice make_artist_voice(const GenreStyle& g, Rng& rng);

// Renders a mono clip in [-1, 1]: `style` (the album's true genre), `sub` its subgenre variant,
// `voice` the artist, `rng` the track's own stream.
std::vector<float> render_track(const GenreStyle& style, const Subgenre& sub, const ArtistVoice& voice, Rng& rng,
                                double seconds, int sample_rate);

}  // namespace agf::synth
