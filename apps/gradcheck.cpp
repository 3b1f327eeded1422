// `agf gradcheck [--op NAME] [--net dcnn|mtn|mlp] [--device cpu|cuda] [--parity] [--json]`: the float64
// finite-difference checks of every op and of whole nets (engine/gradcheck.h, layers/gradcheck_net.h) as
// one table; with --device cuda (or --parity on the CPU) a second table, the float32 parity of each op
// against the float64 CPU reference (engine/parity.h). Exit 1 on any failure.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "engine/parity.h"
#include "layers/gradcheck_net.h"

AGF_COMMAND("gradcheck",
            "float64 finite-difference gradient checks of every op and of whole nets; "
            "--device cuda adds the CUDA-vs-CPU parity of every op",
            [](CLI::App& c) {
  auto op = std::make_shared<std::string>();
  auto net = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto parity = std::make_shared<bool>(false);
  c.add_option("--op", *op,
               "conv2d dense batchnorm maxpool elu gap dropout softmax_xent, all or none "
               "(default: all, or none when only --net is given)");
  c.add_option("--net", *net, "dcnn | mtn | mlp | all | none (default: all, or none when only --op is given)");
  c.add_flag("--json", *json,
             "one JSON object per checked tensor instead of the tables (\"kind\": \"gradcheck\" "
             "or \"parity\")");
  auto device = std::make_shared<std::string>("cpu");
  c.add_option("--device", *device,
               "cpu: the float64 checks; cuda: also each --op forward and backward on CUDA in "
               "float32 against the CPU in float64 (an error, never a CPU run, without a "
               "CUDA build or device)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  c.add_flag("--parity", *parity,
             "the parity table on --device cpu too: the CPU's float32 kernels against float64 "
             "(the harness itself, no GPU needed); implied by --device cuda");
  return std::function<int()>([=] {
    std::vector<agf::GradCheckRow> rows;
    std::vector<agf::ParityRow> prows;
    std::vector<std::string> ops, nets;
    // No flag: everything. One of them: only what it names. "all" and "none" work for both.
    const bool neither = op->empty() && net->empty();
    if (*op == "all" || neither)
      ops = agf::gradcheck_op_names();
    else if (!op->empty() && *op != "none")
      ops = {*op};
    if (*net == "all" || neither)
      nets = agf::gradcheck_net_names();
    else if (!net->empty() && *net != "none")
      nets = {*net};
    // The parity first: without a usable CUDA device the command fails before minutes of float64 checks.
    const bool cuda = *device == "cuda";
    std::string against = "CPU float32";
    if (cuda) {
      if (!*json) std::fprintf(stderr, "gradcheck: CUDA parity of %zu op(s)...\n", ops.size());
      prows = agf::parity_cuda(ops, &against);
      against += " float32";
    } else if (*parity) {
      for (const auto& o : ops) {
        auto r = agf::parity_op(o, agf::ParitySide{agf::Device::CPU, agf::DType::F32, nullptr});
        prows.insert(prows.end(), r.begin(), r.end());
      }
    }
    for (const auto& o : ops) {
      auto r = agf::gradcheck_op(o);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    for (const auto& n : nets) {
      if (!*json) std::fprintf(stderr, "gradcheck: net %s...\n", n.c_str());
      auto r = agf::gradcheck_named_net(n);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    int failed = 0;
    if (!*json)
      std::printf("%-30s %-22s %8s %10s %10s %8s %8s  %s\n", "op", "tensor", "checked", "max rel", "max abs", "step",
                  "tol", "pass");
    for (const auto& r : rows) {
      failed += !r.pass;
      if (*json) {
        nlohmann::json j = {{"kind", "gradcheck"},    {"op", r.op},
                            {"tensor", r.tensor},     {"checked", r.checked},
                            {"max_rel", r.max_rel},   {"max_abs", r.max_abs},
                            {"step", r.step},         {"tol", r.tol},
                            {"pass", r.pass},         {"worst_element", r.worst},
                            {"analytic", r.analytic}, {"numeric", r.numeric}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%-30s %-22s %8lld %10.2e %10.2e %8.0e %8.0e  %s\n", r.op.c_str(), r.tensor.c_str(),
                    (long long)r.checked, r.max_rel, r.max_abs, r.step, r.tol, r.pass ? "pass" : "FAIL");
      }
    }
    // The parity table: an element passes when |got - ref| <= rtol |ref| + atol max|ref| (engine/parity.h).
    if (!prows.empty() && !*json) {
      std::printf("\nparity: %s against the CPU in float64 (pass: |got - ref| <= rtol |ref| + atol max|ref|)\n",
                  against.c_str());
      std::printf("%-30s %-22s %8s %10s %10s %8s %8s  %s\n", "op", "tensor", "elements", "max rel", "max abs", "rtol",
                  "atol", "pass");
    }
    for (const auto& r : prows) {
      failed += !r.pass;
      if (*json) {
        nlohmann::json j = {{"kind", "parity"},     {"device", *device},    {"against", against},
                            {"op", r.op},           {"tensor", r.tensor},   {"elements", r.elements},
                            {"max_rel", r.max_rel}, {"max_abs", r.max_abs}, {"tol", r.tol},
                            {"rtol", r.rtol},       {"atol", r.atol},       {"max_ref", r.scale},
                            {"outside", r.outside}, {"pass", r.pass},       {"worst_element", r.worst},
                            {"got", r.got},         {"ref", r.ref}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%-30s %-22s %8lld %10.2e %10.2e %8.0e %8.0e  %s\n", r.op.c_str(), r.tensor.c_str(),
                    (long long)r.elements, r.max_rel, r.max_abs, r.rtol, r.atol, r.pass ? "pass" : "FAIL");
      }
    }
    for (const auto& r : rows)
      if (!r.pass) std::fprintf(stderr, "gradcheck: FAIL %s\n", r.describe().c_str());
    for (const auto& r : prows)
      if (!r.pass) std::fprintf(stderr, "gradcheck: FAIL parity %s\n", r.describe().c_str());
    std::fprintf(stderr, "gradcheck: %zu tensors checked, %zu compared for parity, %d failed\n", rows.size(),
                 prows.size(), failed);
    return failed ? 1 : 0;
  });
});
