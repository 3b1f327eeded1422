// One worker pool for independent items (prepare's chunks, synth's tracks, the factors' track features):
// threads take the next index from an atomic counter, the calling thread draws the progress, and the first
// exception stops the taking of new items and is rethrown, type and message kept, once every thread joined.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace agf {

class Progress;

// Runs fn(i) once for every i in [0, n) on min(threads, n) threads (threads <= 0: one per hardware thread).
// fn writes its result to its own slot (out[i]), so results keep item order whatever the thread count.
// With `progress`, the calling thread sets it every poll_ms, and once more after a clean end, to the items
// finished, or to *done where given (work counted in smaller units than items, such as prepare's tracks);
// finishing it (the summary line) is the caller's. Items already started when one fails run to their end.
void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn, Progress* progress = nullptr,
                  const std::atomic<int64_t>* done = nullptr, int poll_ms = 200);

}  // namespace agf
