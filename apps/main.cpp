// agf: one program, many subcommands (one file each under apps/). Errors from the library are
// typed exceptions; here they become a message on stderr and a non-zero exit: 1 for an error, 75
// (EX_TEMPFAIL, util/interrupt.h) for a training run stopped by SIGTERM/SIGINT after writing its
// checkpoint (resumable: rerun with --resume, or rerun agf experiment).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include "agf_build_info.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "apps/command.h"

namespace agf::app {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
std::vector<std::string>& command_line() {
  static std::vector<std::string> a;
  return a;
}
}  // namespace agf::app

int main(int argc, char** argv) {
  using namespace agf::app;
  CLI::App app{
      "agf: artist group factors for musical genre classification (Kim et al., WWW'18), "
      "a C++17/CUDA engine"};
  app.set_version_flag("--version", std::string("agf ") + AGF_VERSION_STRING);
  app.require_subcommand(1);
  auto& cmds = registry();
  std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  std::vector<std::pair<CLI::App*, std::function<int()>*>> actions;
  std::vector<std::unique_ptr<std::function<int()>>> storage;
  for (auto& c : cmds) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    storage.push_back(std::make_unique<std::function<int()>>(c.setup(*sub)));
    actions.emplace_back(sub, storage.back().get());
  }
  command_line().assign(argv + 1, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // Drill for tests: AGF_DRILL_STOP_AFTER_STEPS=N stops (as SIGTERM would) once N training steps have
  // finished in this process, counted over every net and MLP (interrupt.h arm_interrupt_after_steps).
  if (const char* d = std::getenv("AGF_DRILL_STOP_AFTER_STEPS"); d && *d) agf::arm_interrupt_after_steps(std::atoll(d));
  try {
    for (auto& [sub, fn] : actions)
      if (sub->parsed()) return (*fn)();
  } catch (const agf::Interrupted& e) {
    std::fprintf(stderr, "agf: %s\nagf: stopped, resumable (exit status %d)\n", e.what(), agf::kExitResumable);
    return agf::kExitResumable;
  } catch (const agf::Error& e) {
    std::fprintf(stderr, "agf: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agf: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
