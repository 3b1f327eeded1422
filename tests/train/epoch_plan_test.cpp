// The epoch planner (agf/train/epoch_plan.h): batch shapes, every track once per epoch, crops inside the
// track, the per-batch task draw cycling each task's queue, and determinism by (streams, epoch).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "agf/train/epoch_plan.h"
#include "util/error.h"

namespace agf {
namespace {

std::vector<int64_t> iota_tracks(int64_t first, int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), first);
  return v;
}

int64_t length_of(int64_t track) { return 43 + track % 7 * 20; }  // 43..163 frames

EpochPlanInputs one_task(int64_t tracks, int batch) {
  EpochPlanInputs in;
  in.stream_seed = 12345;
  in.batch = batch;
  in.eligible = {iota_tracks(100, tracks)};
  in.train_tracks = size_t(tracks);
  return in;
}

TEST(EpochPlan, EveryTrackOnceInBatchesAndALastBatchOfOneDropped) {
  for (auto [tracks, batch, sizes] : {std::tuple<int64_t, int, std::vector<size_t>>{10, 4, {4, 4, 2}},
                                      {9, 4, {4, 4}},
                                      {8, 4, {4, 4}},
                                      {2, 64, {2}}}) {
    const auto plan = plan_epoch(one_task(tracks, batch), length_of);
    std::vector<size_t> got;
    std::multiset<int64_t> seen;
    for (const PlannedBatch& b : plan) {
      got.push_back(b.tracks.size());
      EXPECT_EQ(b.task, 0);
      ASSERT_EQ(b.crops.size(), b.tracks.size());
      seen.insert(b.tracks.begin(), b.tracks.end());
    }
    EXPECT_EQ(got, sizes) << tracks << " tracks, batch " << batch;
    const std::set<int64_t> distinct(seen.begin(), seen.end());
    EXPECT_EQ(distinct.size(), seen.size());  // no track twice
    for (int64_t t : seen) EXPECT_TRUE(t >= 100 && t < 100 + tracks);
  }
}

TEST(EpochPlan, CropsLieInsideTheTrackAndHoldForTheEpoch) {
  EpochPlanInputs in = one_task(50, 8);
  std::map<int64_t, std::set<int>> crops_by_track;
  for (int e = 0; e < 6; ++e) {
    in.epoch = e;
    for (const PlannedBatch& b : plan_epoch(in, length_of))
      for (size_t i = 0; i < b.tracks.size(); ++i) {
        const int64_t t = b.tracks[i];
        EXPECT_GE(b.crops[i], 0);
        EXPECT_LE(b.crops[i], length_of(t) - in.frames) << "track " << t;
        if (length_of(t) == in.frames) {
          EXPECT_EQ(b.crops[i], 0);
        }
        crops_by_track[t].insert(b.crops[i]);
      }
  }
  // Over six epochs a track of 163 frames (121 possible crops) gets more than one crop.
  size_t moved = 0;
  for (const auto& [t, cs] : crops_by_track) moved += length_of(t) > 100 && cs.size() > 1;
  EXPECT_GT(moved, 5u);
}

TEST(EpochPlan, TheSameEpochGivesTheSamePlanAndAnotherEpochAnotherOrder) {
  EpochPlanInputs in = one_task(40, 8);
  auto flat = [](const std::vector<PlannedBatch>& p) {
    std::vector<int64_t> v;
    for (const auto& b : p) {
      v.insert(v.end(), b.tracks.begin(), b.tracks.end());
      v.insert(v.end(), b.crops.begin(), b.crops.end());
    }
    return v;
  };
  in.epoch = 3;
  const auto a = flat(plan_epoch(in, length_of)), b = flat(plan_epoch(in, length_of));
  EXPECT_EQ(a, b);
  in.epoch = 4;
  EXPECT_NE(flat(plan_epoch(in, length_of)), a);
  in.epoch = 3;
  in.stream_seed += 1;  // another net's streams
  EXPECT_NE(flat(plan_epoch(in, length_of)), a);
}

TEST(EpochPlan, PerEpochTaskDrawUsesOneTaskForTheWholeEpoch) {
  EpochPlanInputs in;
  in.stream_seed = 7;
  in.batch = 4;
  in.eligible = {iota_tracks(0, 12), iota_tracks(100, 6)};  // task 1 has fewer tracks
  in.train_tracks = 12;
  std::set<int> tasks_seen;
  for (int e = 0; e < 20; ++e) {
    in.epoch = e;
    const auto plan = plan_epoch(in, length_of);
    ASSERT_FALSE(plan.empty());
    size_t n = 0;
    for (const auto& b : plan) {
      EXPECT_EQ(b.task, plan[0].task);
      n += b.tracks.size();
    }
    EXPECT_EQ(n, plan[0].task == 0 ? 12u : 6u);
    tasks_seen.insert(plan[0].task);
  }
  EXPECT_EQ(tasks_seen.size(), 2u);  // both tasks drawn over 20 epochs
}

TEST(EpochPlan, PerBatchTaskDrawCyclesEachTasksQueue) {
  EpochPlanInputs in;
  in.stream_seed = 99;
  in.batch = 4;
  in.task_draw = "batch";
  in.eligible = {iota_tracks(0, 10), iota_tracks(100, 3)};
  in.train_tracks = 10;
  const auto plan = plan_epoch(in, length_of);
  ASSERT_EQ(plan.size(), 3u);  // ceil(10 / 4) steps, each a full batch
  std::map<int, std::vector<int64_t>> drawn;
  for (const auto& b : plan) {
    EXPECT_EQ(b.tracks.size(), 4u);
    for (int64_t t : b.tracks) EXPECT_EQ(t >= 100, b.task == 1);
    drawn[b.task].insert(drawn[b.task].end(), b.tracks.begin(), b.tracks.end());
  }
  // A task's queue is one shuffle of its tracks, taken in order and started again when used up: its first
  // min(drawn, tracks) draws are distinct and the draws repeat with the queue's period.
  for (const auto& [k, v] : drawn) {
    const size_t period = in.eligible[size_t(k)].size();
    const std::set<int64_t> first(v.begin(), v.begin() + long(std::min(period, v.size())));
    EXPECT_EQ(first.size(), std::min(period, v.size()));
    for (size_t i = period; i < v.size(); ++i) EXPECT_EQ(v[i], v[i - period]);
  }
}

TEST(EpochPlan, ATrackShorterThanAWindowIsAnErrorNamingIt) {
  EpochPlanInputs in = one_task(4, 2);
  try {
    plan_epoch(in, [](int64_t t) { return t == 102 ? int64_t(30) : int64_t(43); });
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("track 102 has 30 frames"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace agf
