// The epoch planner (see epoch_plan.h).
#include "agf/train/epoch_plan.h"

#include <algorithm>

#include "agf/train/rng.h"
#include "util/error.h"

namespace agf {

std::vector<PlannedBatch> plan_epoch(const EpochPlanInputs& in, const std::function<int64_t(int64_t)>& frames_of) {
  const int T = int(in.eligible.size());
  AGF_CHECK(T >= 1 && in.batch >= 2 && in.frames >= 1, UsageError, "plan_epoch: ", T, " tasks, batch ", in.batch,
            ", frames ", in.frames);
  AGF_CHECK(in.task_draw == "epoch" || in.task_draw == "batch", UsageError, "plan_epoch: task draw '", in.task_draw,
            "'");
  const uint64_t rs = in.stream_seed, epoch = uint64_t(in.epoch);
  const size_t B = size_t(in.batch);
  auto shuffled = [&](int k) {
    std::vector<int64_t> v = in.eligible[size_t(k)];
    shuffle_philox(v, derive_seed(rs, Stream::Shuffle, epoch * 16 + uint64_t(k)));
    return v;
  };
  std::vector<PlannedBatch> plan;
  if (in.task_draw == "epoch" || T == 1) {
    const int k = T == 1 ? 0 : int(philox_u32(derive_seed(rs, Stream::Task, epoch), 0, 0) % uint32_t(T));
    const std::vector<int64_t> v = shuffled(k);
    for (size_t b = 0; b < v.size(); b += B) {
      const size_t n = std::min(v.size() - b, B);
      if (n < 2) break;  // batch norm needs two samples
      plan.push_back({k, std::vector<int64_t>(v.begin() + long(b), v.begin() + long(b + n)), {}});
    }
  } else {
    std::vector<std::vector<int64_t>> q(static_cast<size_t>(T));
    std::vector<size_t> pos(size_t(T), 0);
    for (int k = 0; k < T; ++k) q[size_t(k)] = shuffled(k);
    const size_t steps = (in.train_tracks + B - 1) / B;
    for (size_t s = 0; s < steps; ++s) {
      const int k = int(philox_u32(derive_seed(rs, Stream::Task, epoch), 0, s) % uint32_t(T));
      PlannedBatch bt{k, {}, {}};
      for (size_t j = 0; j < B; ++j) {
        if (pos[size_t(k)] == q[size_t(k)].size()) pos[size_t(k)] = 0;
        bt.tracks.push_back(q[size_t(k)][pos[size_t(k)]++]);
      }
      plan.push_back(std::move(bt));
    }
  }
  const uint64_t crop_key = derive_seed(rs, Stream::Crop, epoch);
  for (PlannedBatch& bt : plan) {
    bt.crops.reserve(bt.tracks.size());
    for (int64_t tr : bt.tracks) {
      const int64_t len = frames_of(tr);
      AGF_CHECK(len >= in.frames, FormatError, "plan_epoch: track ", tr, " has ", len,
                " frames, fewer than one window of ", in.frames);
      bt.crops.push_back(int(philox_u32(crop_key, 0, uint64_t(tr)) % uint32_t(len - in.frames + 1)));
    }
  }
  return plan;
}

}  // namespace agf
