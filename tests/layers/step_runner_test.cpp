// StepRunner (layers/step_runner.h): its steps, eager or replayed, are train_step's bit for bit, and a guarded
// step with a non-finite loss leaves the parameters, batch-norm statistics, Adam moments and step counts as they
// were, so that the run continues as if the bad batch had never come.
#include <gtest/gtest.h>

#include <cmath>

#include "../graph_lifecycle_cases.h"
#include "layers/step_runner.h"

namespace agf {
namespace {

using lifecycle::Rig;

void poison(Rig& rig, int n) {
  Tensor x = rig.xb(n);
  std::vector<float> h(size_t(x.numel()));
  x.copy_to_host(h.data());
  h[0] = std::nanf("");
  x.copy_from_host(h.data());
}

TEST(StepRunner, StepsEqualEagerTrainSteps) {
  const int B = 8;
  Rig a(lifecycle::mtn_config(), B, Device::CPU, nullptr), b(lifecycle::mtn_config(), B, Device::CPU, nullptr);
  StepRunner runner(*a.net, *a.tape, a.opts, {true, B, true});
  struct Step {
    int task, n;
  };
  const Step script[] = {{0, B}, {1, B}, {0, B}, {1, 5}, {1, B}, {0, 3}, {0, B}};
  uint64_t seed = 500;
  for (const Step& s : script) {
    SCOPED_TRACE("step " + std::to_string(seed - 500));
    a.load(int(seed), s.task, s.n);
    b.load(int(seed), s.task, s.n);
    const StepOutcome out = runner.step(s.task, a.xb(s.n), a.yb(s.n, s.task), seed);
    const float lb = b.eager_step(s.task, s.n, seed);
    EXPECT_TRUE(out.finite);
    EXPECT_EQ(float(out.loss), lb);
    ASSERT_TRUE(a.state() == b.state());
    ++seed;
  }
}

TEST(StepRunner, NonFiniteStepIsUndoneReplayedAndEager) {
  const int B = 8;
  Rig a(lifecycle::dcnn_config(), B, Device::CPU, nullptr), b(lifecycle::dcnn_config(), B, Device::CPU, nullptr);
  StepRunner runner(*a.net, *a.tape, a.opts, {true, B, true});
  auto good = [&](int batch, int n, uint64_t seed) {
    a.load(batch, 0, n);
    b.load(batch, 0, n);
    EXPECT_TRUE(runner.step(0, a.xb(n), a.yb(n, 0), seed).finite);
    b.eager_step(0, n, seed);
    ASSERT_TRUE(a.state() == b.state());
  };
  good(1, B, 601);        // the graph's warm-up
  good(2, B, 602);        // a replay
  for (int n : {B, 5}) {  // replayed, then eager (a short batch)
    SCOPED_TRACE("batch of " + std::to_string(n));
    const std::vector<uint8_t> before = a.state();
    a.load(3, 0, n);
    poison(a, n);
    const StepOutcome out = runner.step(0, a.xb(n), a.yb(n, 0), 603);
    EXPECT_FALSE(out.finite);
    EXPECT_FALSE(std::isfinite(out.loss));
    EXPECT_TRUE(a.state() == before) << "a non-finite step left a trace";
  }
  good(4, B, 604);  // the run goes on as if the bad batches had never come
  good(5, 6, 605);
}

TEST(StepRunner, UnguardedStepIsAppliedAndReportsTheLoss) {
  const int B = 8;
  Rig a(lifecycle::dcnn_config(), B, Device::CPU, nullptr);
  StepRunner runner(*a.net, *a.tape, a.opts, {false, B, false});
  a.load(1, 0, B);
  poison(a, B);
  const std::vector<uint8_t> before = a.state();
  const StepOutcome out = runner.step(0, a.xb(B), a.yb(B, 0), 701);
  EXPECT_FALSE(out.finite);
  EXPECT_EQ(a.opts[0]->steps(), 1) << "an unguarded step is always applied";
  EXPECT_FALSE(a.state() == before);
}

}  // namespace
}  // namespace agf
