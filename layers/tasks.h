// The paper's tasks (§3), named once. A net is trained on one or more of them:
//   g  the track's top genre (16 classes on FMA)
//   s  sub-genre counts per artist      -- the artist group factors: 40 LDA topics per artist over
//   e  song-level Essentia statistics   --   a K-means dictionary of the kind's frames (s: of the
//   d  delta-MFCC frames                --   artist's sub-genre labels), paper-notes.md §2
//   m  MFCC frames                      --
// Inside a combination the letters are written in the paper's order, kTaskOrder ("gsedm"): "mg" is "gm".
#pragma once
#include <string>

namespace agf {

inline constexpr char kGenreTask = 'g';
inline constexpr const char* kTaskOrder = "gsedm";   // the paper's order inside a combination
inline constexpr const char* kFactorKinds = "mdes";  // the factor kinds in the order `agf factors` builds them

bool is_task(char task);                          // one of g, s, e, d, m
bool is_factor_task(char task);                   // one of s, e, d, m (an artist group factor: topic targets)
const char* task_label(char task);                // "genre", "sub-genres", "descriptors", "delta-MFCC", "MFCC"
[[noreturn]] void throw_unknown_task(char task);  // UsageError naming the letters

// Letters of `tasks` reordered into kTaskOrder ("mg" -> "gm"); throws UsageError on an unknown or
// repeated letter or an empty string.
std::string canonical_tasks(const std::string& tasks);

// The first n tasks in the paper's order: "g", "gs", ..., "gsedm" (n in 1..5): an n-task MTN's tasks for
// parameter matching (wSTN-n) and calibration.
std::string first_tasks(int n);

}  // namespace agf
