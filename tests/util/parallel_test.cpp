// util/parallel.h: every item runs once whatever the thread count, the first error comes back with its
// type and message and stops the taking of new items, and the progress ends at the count of work done.
#include "util/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "util/error.h"
#include "util/progress.h"

namespace agf {
namespace {

TEST(ParallelFor, EveryItemOnceInItsSlot) {
  for (int threads : {0, 1, 3, 64})
    for (size_t n : {0, 1, 7, 1000}) {
      std::vector<int> calls(n, 0);
      std::vector<size_t> out(n);
      parallel_for(n, threads, [&](size_t i) {
        ++calls[i];
        out[i] = i * i;
      });
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(calls[i], 1) << "item " << i << ", " << threads << " threads";
        ASSERT_EQ(out[i], i * i);
      }
    }
}

TEST(ParallelFor, FirstErrorKeepsTypeAndMessageAndStopsTheRest) {
  std::atomic<int> calls{0};
  try {
    parallel_for(1000, 1, [&](size_t i) {
      ++calls;
      if (i == 5) throw FormatError("item 5 is bad");
    });
    FAIL() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "item 5 is bad");
  }
  EXPECT_EQ(calls.load(), 6);  // one thread: nothing after the failing item was started
  // With several threads, the items already started finish, and no new ones start.
  calls = 0;
  EXPECT_THROW(parallel_for(
                   10000, 4,
                   [&](size_t i) {
    ++calls;
    if (i == 0) throw UsageError("first");
    std::this_thread::sleep_for(std::chrono::microseconds(100));  // all of them: a third of a second
                   }),
               UsageError);
  EXPECT_LT(calls.load(), 10000);
}

TEST(ParallelFor, ProgressCountsItemsOrTheGivenCounter) {
  Progress items("items", 50, "it", /*quiet=*/true);
  parallel_for(
      50, 3, [](size_t) {}, &items, nullptr, 1);
  std::atomic<int64_t> done{0};
  Progress tracks("tracks", 150, "tracks", /*quiet=*/true);
  parallel_for(
      50, 3, [&](size_t) { done += 3; }, &tracks, &done, 1);
  EXPECT_EQ(done.load(), 150);
  // A progress with a failure does not hang: the poll loop ends on the error, not only on the count.
  std::atomic<int64_t> never{0};
  Progress p("stuck", 10, "it", true);
  EXPECT_THROW(parallel_for(
                   10, 2, [](size_t) { throw IOError("disk"); }, &p, &never, 1),
               IOError);
}

}  // namespace
}  // namespace agf
