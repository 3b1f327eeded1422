// `agf gradcheck [--op NAME] [--net dcnn|mtn|mlp] [--json]`: the float64 finite-difference checks of every
// op and of whole nets (engine/gradcheck.h, layers/gradcheck_net.h) as one table; exit 1 on any failure.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "apps/command.h"
#include "layers/gradcheck_net.h"

AGF_COMMAND("gradcheck", "float64 finite-difference gradient checks of every op and of whole nets", [](CLI::App& c) {
  auto op = std::make_shared<std::string>();
  auto net = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  c.add_option("--op", *op, "conv2d dense batchnorm maxpool elu gap dropout softmax_xent, all or none "
                            "(default: all, or none when only --net is given)");
  c.add_option("--net", *net, "dcnn | mtn | mlp | all | none (default: all, or none when only --op is given)");
  c.add_flag("--json", *json, "one JSON object per checked tensor instead of the table");
  auto device = std::make_shared<std::string>("cpu");
  c.add_option("--device", *device, "cpu only (CPU/CUDA parity is tests/cuda, not this command)")
      ->check(CLI::IsMember({"cpu"}))->capture_default_str();
  return std::function<int()>([=] {
    std::vector<agf::GradCheckRow> rows;
    std::vector<std::string> ops, nets;
    // No flag: everything. One of them: only what it names. "all" and "none" work for both.
    const bool neither = op->empty() && net->empty();
    if (*op == "all" || neither) ops = agf::gradcheck_op_names();
    else if (!op->empty() && *op != "none") ops = {*op};
    if (*net == "all" || neither) nets = agf::gradcheck_net_names();
    else if (!net->empty() && *net != "none") nets = {*net};
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
        nlohmann::json j = {{"op", r.op},           {"tensor", r.tensor}, {"checked", r.checked}, {"max_rel", r.max_rel},
                            {"max_abs", r.max_abs}, {"step", r.step},     {"tol", r.tol},         {"pass", r.pass},
                            {"worst_element", r.worst}, {"analytic", r.analytic}, {"numeric", r.numeric}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%-30s %-22s %8lld %10.2e %10.2e %8.0e %8.0e  %s\n", r.op.c_str(), r.tensor.c_str(),
                    (long long)r.checked, r.max_rel, r.max_abs, r.step, r.tol, r.pass ? "pass" : "FAIL");
      }
    }
    for (const auto& r : rows)
      if (!r.pass) std::fprintf(stderr, "gradcheck: FAIL %s\n", r.describe().c_str());
    std::fprintf(stderr, "gradcheck: %zu tensors checked, %d failed\n", rows.size(), failed);
    return failed ? 1 : 0;
  });
});
