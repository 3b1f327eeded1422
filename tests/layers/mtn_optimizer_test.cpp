// One optimizer per MTN task (the authors' code): a task's step updates the shared block and its own branch
// with its own moments and step counter; a branch that is not drawn keeps its weights, moments and count.
#include <gtest/gtest.h>

#include <cstring>

#include "../graph_lifecycle_cases.h"

namespace agf {
namespace {

std::vector<uint8_t> bytes_of(const Tensor& t) {
  std::vector<uint8_t> b(t.bytes());
  t.copy_to_host(b.data());
  return b;
}

TEST(MtnOptimizer, TaskRangesAreTheSharedBlockAndTheBranch) {
  lifecycle::Rig r(lifecycle::mtn_config(), 4, Device::CPU, nullptr);
  const ParamStore& ps = r.net->params;
  std::vector<uint8_t> covered(size_t(ps.n_trainable()), 0);
  for (const ParamRange& g : task_param_ranges(ps, 'g', true))
    for (int64_t i = g.offset; i < g.offset + g.n; ++i) covered[size_t(i)] = 1;
  for (int i = 0; i < ps.size(); ++i) {
    const ParamInfo& p = ps.info(i);
    if (!p.trainable) continue;
    const bool want = p.name.rfind("shared.", 0) == 0 || p.name.rfind("g.", 0) == 0;
    for (int64_t j = 0; j < p.shape.numel(); ++j) ASSERT_EQ(covered[p.offset + size_t(j)], want ? 1 : 0) << p.name;
  }
  // A single-task net: everything, in one range.
  lifecycle::Rig s(lifecycle::dcnn_config(), 4, Device::CPU, nullptr);
  auto all = task_param_ranges(s.net->params, 'g', false);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].n, s.net->params.n_trainable());
}

TEST(MtnOptimizer, UndrawnBranchKeepsWeightsMomentsAndStepCount) {
  lifecycle::Rig r(lifecycle::mtn_config(), 4, Device::CPU, nullptr);
  r.load(0, 1, 4);
  r.eager_step(1, 4, 1);  // task s once: its moments are non-zero now
  const ParamStore& ps = r.net->params;
  auto branch_s = [&] {
    std::vector<uint8_t> b;
    for (int i = 0; i < ps.size(); ++i)
      if (ps.info(i).name.rfind("s.", 0) == 0) {
        auto v = bytes_of(ps.value(i));
        b.insert(b.end(), v.begin(), v.end());
      }
    return b;
  };
  const auto w0 = branch_s(), m0 = bytes_of(r.opts[1]->m()), v0 = bytes_of(r.opts[1]->v());
  const auto shared_before = bytes_of(ps.value(ps.find("shared.conv1.weight")));
  for (int k = 0; k < 3; ++k) {
    r.load(1 + k, 0, 4);
    r.eager_step(0, 4, 10 + uint64_t(k));  // task g
  }
  EXPECT_EQ(branch_s(), w0) << "a task-g step changed the s branch's weights (moments decaying into them?)";
  EXPECT_EQ(bytes_of(r.opts[1]->m()), m0) << "the s optimizer's moments moved while s was not drawn";
  EXPECT_EQ(bytes_of(r.opts[1]->v()), v0);
  EXPECT_EQ(r.opts[1]->steps(), 1) << "bias correction must count s's own steps";
  EXPECT_EQ(r.opts[0]->steps(), 3);
  EXPECT_NE(bytes_of(ps.value(ps.find("shared.conv1.weight"))), shared_before) << "g steps train the shared block";
}

}  // namespace
}  // namespace agf
