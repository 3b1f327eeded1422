// GraphLifecycle.*: the rules that make a recorded step valid, enforced by the engine and tested on the
// CPU backend (no GPU needed), plus the replay-equals-eager cases shared with the CUDA suite
// (tests/graph_lifecycle_cases.h; on a GPU they run as CudaGraphLifecycle.*).
#include <gtest/gtest.h>

#include "../graph_lifecycle_cases.h"
#include "engine/device.h"
#include "engine/ops.h"

namespace agf {
namespace {

TEST(GraphLifecycle, NoAllocationWhileCapturing) {
  DeviceGraph g(Device::CPU, nullptr);
  g.begin();
  EXPECT_TRUE(capturing());
  EXPECT_THROW(Tensor::empty(Shape{16}, DType::F32), CaptureError);
  EXPECT_THROW(device_alloc(Device::CPU, 64), CaptureError);
  g.abort();
  EXPECT_FALSE(capturing());
  Tensor ok = Tensor::empty(Shape{16}, DType::F32);  // legal again after the capture
  EXPECT_EQ(ok.numel(), 16);
}

TEST(GraphLifecycle, ArenaCannotGrowWhileCapturing) {
  Arena a(Device::CPU, 1 << 20);
  DeviceGraph g(Device::CPU, nullptr);
  g.begin();
  a.alloc(Shape{1000}, DType::F32);                                 // fits the reserved chunk
  EXPECT_THROW(a.alloc(Shape{1 << 20}, DType::F32), CaptureError);  // would add a chunk
  g.abort();
}

TEST(GraphLifecycle, ArenaCannotCoalesceWhileCapturing) {
  Arena a(Device::CPU);
  a.alloc(Shape{300000}, DType::F32);
  a.alloc(Shape{600000}, DType::F32);  // a second chunk: the next reset would free both
  ASSERT_EQ(a.chunks(), 2u);
  DeviceGraph g(Device::CPU, nullptr);
  g.begin();
  EXPECT_THROW(a.reset(), CaptureError);
  g.abort();
  a.reset();  // outside the capture: coalesces
  EXPECT_EQ(a.chunks(), 1u);
}

TEST(GraphLifecycle, FreeWhileCapturingFailsTheCapture) {
  DeviceGraph g(Device::CPU, nullptr);
  auto t = std::make_unique<Tensor>(Tensor::zeros(Shape{64}, DType::F32));
  g.begin();
  t.reset();  // the storage is freed inside the capture: deferred, and the capture is void
  EXPECT_THROW(g.end(), CaptureError);
  EXPECT_FALSE(g.ready());
  EXPECT_FALSE(capturing());
}

TEST(GraphLifecycle, NoHostTransferWhileCapturing) {
  Tensor s = Tensor::zeros(Shape{1}, DType::F32);
  std::vector<float> h(1, 0.f);
  DeviceGraph g(Device::CPU, nullptr);
  g.begin();
  EXPECT_THROW(scalar_value(s), CaptureError);
  EXPECT_THROW(s.copy_to_host(h.data()), CaptureError);
  EXPECT_THROW(s.copy_from_host(h.data()), CaptureError);
  g.abort();
  EXPECT_EQ(scalar_value(s), 0.0);
}

TEST(GraphLifecycle, CaptureRecordsWithoutRunningAndLaunchRuns) {
  Tensor a = Tensor::zeros(Shape{8}, DType::F32), b = Tensor::zeros(Shape{8}, DType::F32);
  DeviceGraph g(Device::CPU, nullptr);
  g.begin();
  a.fill_(3.0);
  b.copy_from(a);
  g.end();
  EXPECT_EQ(g.num_nodes(), 2u);
  EXPECT_EQ(b.data<float>()[7], 0.f) << "a CPU capture ran the work it recorded";
  g.launch();
  EXPECT_EQ(b.data<float>()[7], 3.f);
  EXPECT_THROW(g.begin(), CaptureError);  // a graph is captured once
}

TEST(GraphLifecycle, OneCapturePerThread) {
  DeviceGraph g(Device::CPU, nullptr), h(Device::CPU, nullptr);
  g.begin();
  EXPECT_THROW(h.begin(), CaptureError);
  g.abort();
}

TEST(GraphLifecycle, PinnedArenaRewindsAndNeverFrees) {
  Arena a(Device::CPU);
  a.alloc(Shape{300000}, DType::F32);
  a.alloc(Shape{600000}, DType::F32);
  a.reset();  // coalesces: one chunk
  const uint64_t gen = a.generation();
  void* first = nullptr;
  {
    Arena::Lease lease = a.pin();
    EXPECT_EQ(a.leases(), 1);
    first = a.alloc(Shape{1000}, DType::F32).raw();
    a.alloc(Shape{4000000}, DType::F32);  // grows: a second chunk
    EXPECT_EQ(a.chunks(), 2u);
    a.reset();  // pinned: rewinds only
    EXPECT_EQ(a.chunks(), 2u);
    EXPECT_EQ(a.generation(), gen);
    EXPECT_EQ(a.alloc(Shape{1000}, DType::F32).raw(), first) << "a pinned arena moved its first allocation";
  }
  EXPECT_EQ(a.leases(), 0);
  a.reset();  // unpinned again: coalesces
  EXPECT_EQ(a.chunks(), 1u);
  EXPECT_GT(a.generation(), gen);
}

TEST(GraphLifecycle, GraphHoldsItsArenaPinned) {
  lifecycle::Rig r(lifecycle::dcnn_config(), 4, Device::CPU, nullptr);
  r.load(0, 0, 4);
  {
    StepGraph g(*r.net, *r.tape, *r.opts[0], r.xb(4), r.yb(4, 0), 0, 1);
    EXPECT_EQ(r.arena->leases(), 1);
    // The warm-up grew the arena in chunks; they were coalesced before the capture (where freeing is
    // legal), so the graph works in one contiguous block.
    EXPECT_EQ(r.arena->chunks(), 1u);
    const uint64_t gen = r.arena->generation();
    r.eager_step(0, 4, 3);  // eager steps and inference on the same tape rewind, never free
    r.infer_pass(0);
    g.replay(2);
    EXPECT_EQ(r.arena->generation(), gen);
    EXPECT_GT(g.num_nodes(), 50u);
    EXPECT_EQ(g.slot_offsets().size(), 3u);  // the DCNN's dropouts: conv2 and conv4 blocks, and fc1
  }
  EXPECT_EQ(r.arena->leases(), 0);
}

TEST(GraphLifecycleDeathTest, ArenaDestroyedUnderAGraphAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Arena* a = new Arena(Device::CPU);
        Arena::Lease* l = new Arena::Lease(a->pin());
        (void)l;
        delete a;
      },
      "captured graph");
}

TEST(GraphLifecycle, ReplayEqualsEagerBitwise) { lifecycle::replay_equals_eager(Device::CPU, nullptr); }
TEST(GraphLifecycle, ReplayAfterInferenceAndShortBatchEqualsEager) {
  lifecycle::replay_after_inference_and_short_batch(Device::CPU, nullptr);
}
TEST(GraphLifecycle, TwoTaskGraphsShareOneArena) { lifecycle::two_graphs_share_one_arena(Device::CPU, nullptr); }

TEST(GraphLifecycle, SlotOffsetsComeFromTheCapture) {
  lifecycle::Rig r(lifecycle::dcnn_config(), 4, Device::CPU, nullptr);
  r.load(0, 0, 4);
  StepGraph g(*r.net, *r.tape, *r.opts[0], r.xb(4), r.yb(4, 0), 0, 1);
  const std::vector<uint64_t> offs = g.slot_offsets();
  ASSERT_FALSE(offs.empty());
  EXPECT_EQ(offs[0], 0u);
  for (size_t k = 1; k < offs.size(); ++k) EXPECT_GT(offs[k], offs[k - 1]);
  // An inference pass and a short eager batch rewrite the tape's live slots...
  r.infer_pass(0);
  EXPECT_EQ(r.tape->rng_slots_used(), 0);
  r.eager_step(0, 3, 9);
  EXPECT_NE(r.tape->rng_slot_offset(1), offs[1]);
  // ...but the graph's record is its own.
  g.replay(5);
  EXPECT_EQ(g.slot_offsets(), offs);
}

}  // namespace
}  // namespace agf
