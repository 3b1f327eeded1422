// Training / inference steps over the tape (see step.h).
#include "layers/step.h"

namespace agf {

StepResult forward_backward(const Net& net, Tape& t, const Tensor& x, const Tensor& targets, int task) {
  t.reset();
  t.training = true;
  const_cast<ParamStore&>(net.params).zero_grad(t.cuda);
  Var xv = t.input(x, false);
  NetOutput out = net.forward(t, xv, task);
  Var loss = softmax_xent(t, out.logits, targets);
  t.backward(loss);
  return {t.value(loss), t.value(out.logits)};
}

StepResult train_step(const Net& net, Tape& t, Adam& opt, const Tensor& x, const Tensor& targets, int task) {
  StepResult r = forward_backward(net, t, x, targets, task);
  opt.step();
  return r;
}

InferResult infer(const Net& net, Tape& t, const Tensor& x, int task) {
  t.reset();
  t.training = false;
  Var xv = t.input(x, false);
  NetOutput out = net.forward(t, xv, task);
  return {softmax(t, out.logits), t.value(out.feature), t.value(out.logits)};
}

Tensor infer_trunk(const Net& net, Tape& t, const Tensor& x) {
  t.reset();
  t.training = false;
  return t.value(net.forward_trunk(t, t.input(x, false)));
}

InferResult infer_head(const Net& net, Tape& t, const Tensor& h, int task) {
  t.reset();
  t.training = false;
  NetOutput out = net.forward_head(t, t.input(h, false), task);
  return {softmax(t, out.logits), t.value(out.feature), t.value(out.logits)};
}

}  // namespace agf
