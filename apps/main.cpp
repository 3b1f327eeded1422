// agf: one program, many subcommands (one file each under apps/). Errors from the library are
// typed exceptions; here they become a message on stderr and a non-zero exit.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include "agf_build_info.h"
#include "agf/util/error.h"
#include "apps/command.h"

namespace agf::app {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace agf::app

int main(int argc, char** argv) {
  using namespace agf::app;
  CLI::App app{"agf: artist group factors for musical genre classification (Kim et al., WWW'18), "
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, fn] : actions)
      if (sub->parsed()) return (*fn)();
  } catch (const agf::Error& e) {
    std::fprintf(stderr, "agf: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "agf: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
