// The graph-lifecycle cases, written once for both backends: tests/layers/graph_lifecycle_test.cpp runs
// them on the CPU (GraphLifecycle.*, in CI), tests/cuda/step_graph_test.cpp on a GPU (CudaGraphLifecycle.*).
// Each compares a recorded-and-replayed StepGraph with the same steps run eagerly on a twin net, bit for
// bit: parameters, every optimizer's moments and step count, and every step's loss.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/optim.h"
#include "layers/nets.h"
#include "layers/step.h"
#include "layers/step_graph.h"

namespace agf::lifecycle {

// A net with one optimizer per task (MTN) or one over everything, a tape on its own arena, and fixed
// input/target buffers of batch B (the graph's addresses).
struct Rig {
  std::unique_ptr<Net> net;
  std::unique_ptr<Arena> arena;
  std::unique_ptr<Tape> tape;
  std::vector<std::unique_ptr<Adam>> opts;
  Tensor x, y;
  int B = 0, kmax = 0;

  Rig(const NetConfig& cfg, int batch, Device dev, CudaCtx* cuda) : B(batch) {
    net = build_net(cfg);
    net->params.finalize(dev, DType::F32, 11);
    const int T = net->num_tasks();
    for (int k = 0; k < T; ++k) {
      if (T == 1)
        opts.push_back(std::make_unique<Adam>(net->params, AdamConfig{}, cuda));
      else
        opts.push_back(std::make_unique<Adam>(net->params, AdamConfig{}, cuda,
                                              task_param_ranges(net->params, cfg.tasks[size_t(k)], true)));
      kmax = std::max(kmax, net->outputs(k));
    }
    arena = std::make_unique<Arena>(dev);
    tape = std::make_unique<Tape>(*arena, DType::F32);
    tape->cuda = cuda;
    x = Tensor::empty(Shape{B, 1, 128, 43}, DType::F32, dev);
    y = Tensor::empty(Shape{B, kmax}, DType::F32, dev);
  }
  // Batch `b` for task k: n rows of deterministic inputs and one-hot (soft for topics) targets.
  void load(int b, int task, int n) {
    const int k = net->outputs(task);
    std::vector<float> xh(size_t(n) * 128 * 43), yh(size_t(n) * size_t(k), 0.f);
    for (size_t i = 0; i < xh.size(); ++i)
      xh[i] = float(int((i * 7919u + uint64_t(b) * 104729u) % 2003u)) / 1001.f - 1.f;
    for (int i = 0; i < n; ++i) yh[size_t(i) * size_t(k) + size_t((i * 5 + b) % k)] = 1.f;
    xb(n).copy_from_host(xh.data());
    yb(n, task).copy_from_host(yh.data());
  }
  Tensor xb(int n) const { return x.slice0(0, n); }
  Tensor yb(int n, int task) const {
    const int k = net->outputs(task);
    return y.view(Shape{int64_t(B) * kmax}).slice0(0, int64_t(n) * k).view(Shape{n, k});
  }
  float eager_step(int task, int n, uint64_t seed) {
    tape->seed = seed;
    tape->rng_offset = 0;
    StepResult r = train_step(*net, *tape, *opts[size_t(task)], xb(n), yb(n, task), task);
    return float(scalar_value(r.loss));
  }
  void infer_pass(int task) { (void)to_host_f32_probs(infer(*net, *tape, xb(B), task).probs); }
  static std::vector<float> to_host_f32_probs(const Tensor& t) {
    std::vector<float> h(size_t(t.numel()));
    t.copy_to_host(h.data());
    return h;
  }
  // Everything a step changes, as bytes.
  std::vector<uint8_t> state() const {
    std::vector<uint8_t> s;
    auto add = [&](const Tensor& t) {
      std::vector<uint8_t> b(t.bytes());
      t.copy_to_host(b.data());
      s.insert(s.end(), b.begin(), b.end());
    };
    add(net->params.values());
    for (const auto& o : opts) {
      add(o->m());
      add(o->v());
      const int64_t t = o->steps();
      const uint8_t* p = reinterpret_cast<const uint8_t*>(&t);
      s.insert(s.end(), p, p + sizeof t);
    }
    return s;
  }
};

inline NetConfig dcnn_config() { return NetConfig{}; }
inline NetConfig mtn_config() {
  NetConfig c;
  c.arch = Arch::mtn;
  c.tasks = "gs";
  c.topics = 40;  // the s head is wider than g's, so its warm-up must grow the pinned arena
  return c;
}

// One scripted operation: a graph step (constructing the task's graph on first use), an eager step,
// or an inference pass.
struct Op {
  enum Kind { Graph, Eager, Infer } kind;
  int task = 0, n = 0;
  uint64_t seed = 0;
};

// Runs `script` on rig A with StepGraphs for the Graph ops and on twin rig B eagerly throughout; after
// every op the two must agree bitwise. Returns the graphs' arena for further checks.
inline void run_script(const NetConfig& cfg, int B, Device dev, CudaCtx* cuda, const std::vector<Op>& script,
                       size_t* chunks_after = nullptr, uint64_t* generations = nullptr) {
  Rig a(cfg, B, dev, cuda), b(cfg, B, dev, cuda);
  ASSERT_EQ(a.state(), b.state());
  std::vector<std::unique_ptr<StepGraph>> graphs(size_t(a.net->num_tasks()));
  int i = 0;
  for (const Op& op : script) {
    SCOPED_TRACE("op " + std::to_string(i++) + " (kind " + std::to_string(op.kind) + ", task " +
                 std::to_string(op.task) + ", n " + std::to_string(op.n) + ")");
    const int n = op.kind == Op::Graph ? B : op.n;
    a.load(i, op.task, op.kind == Op::Infer ? B : n);
    b.load(i, op.task, op.kind == Op::Infer ? B : n);
    float la = 0, lb = 0;
    if (op.kind == Op::Infer) {
      a.infer_pass(op.task);
      b.infer_pass(op.task);
    } else if (op.kind == Op::Eager) {
      la = a.eager_step(op.task, n, op.seed);
      lb = b.eager_step(op.task, n, op.seed);
    } else {
      auto& g = graphs[size_t(op.task)];
      if (!g)
        g = std::make_unique<StepGraph>(*a.net, *a.tape, *a.opts[size_t(op.task)], a.xb(B), a.yb(B, op.task), op.task,
                                        op.seed);
      else
        g->replay(op.seed);
      la = float(scalar_value(g->loss()));
      lb = b.eager_step(op.task, B, op.seed);
    }
    EXPECT_EQ(std::memcmp(&la, &lb, sizeof la), 0) << "loss " << la << " (graph) vs " << lb << " (eager)";
    ASSERT_TRUE(a.state() == b.state()) << "parameters or optimizer state differ from the eager twin";
  }
  if (chunks_after) *chunks_after = a.arena->chunks();
  if (generations) *generations = a.arena->generation();
}

// --- The cases. Seeds are arbitrary and distinct per step, so a replay that kept an old mask differs.
inline void replay_equals_eager(Device dev, CudaCtx* cuda) {
  run_script(dcnn_config(), 8, dev, cuda,
             {{Op::Graph, 0, 0, 101}, {Op::Graph, 0, 0, 102}, {Op::Graph, 0, 0, 103}, {Op::Graph, 0, 0, 104}});
}

// W3: an inference pass (which resets the tape's slots) and an eager short batch (other offsets) between
// replays must not change what the replays draw.
inline void replay_after_inference_and_short_batch(Device dev, CudaCtx* cuda) {
  run_script(dcnn_config(), 8, dev, cuda,
             {{Op::Graph, 0, 0, 201},
              {Op::Graph, 0, 0, 202},
              {Op::Infer, 0, 0, 0},
              {Op::Graph, 0, 0, 203},
              {Op::Eager, 0, 5, 204},
              {Op::Graph, 0, 0, 205},
              {Op::Infer, 0, 0, 0},
              {Op::Graph, 0, 0, 206}});
}

// C2: two tasks' graphs on one arena, the second one's warm-up growing it, replayed alternately with an
// inference pass between; the arena must keep every chunk the first graph refers to.
inline void two_graphs_share_one_arena(Device dev, CudaCtx* cuda) {
  size_t chunks = 0;
  uint64_t gens = 0;
  run_script(mtn_config(), 8, dev, cuda,
             {{Op::Graph, 0, 0, 301},
              {Op::Graph, 1, 0, 302},
              {Op::Graph, 0, 0, 303},
              {Op::Graph, 1, 0, 304},
              {Op::Infer, 0, 0, 0},
              {Op::Graph, 0, 0, 305},
              {Op::Eager, 1, 6, 306},
              {Op::Graph, 1, 0, 307},
              {Op::Graph, 0, 0, 308}},
             &chunks, &gens);
  EXPECT_GE(chunks, 2u) << "the second task's warm-up did not grow the arena: the case does not test C2";
  EXPECT_LE(gens, 1u) << "the arena freed chunks after the first graph pinned it (1: the first coalescing only)";
}

}  // namespace agf::lifecycle
