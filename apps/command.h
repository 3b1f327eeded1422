// Subcommand registry: each apps/<name>.cpp registers itself with AGF_COMMAND, so adding a
// subcommand touches no other file. Commands are thin: parse, validate, call into the library.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include <CLI/CLI.hpp>

namespace agf::app {

// setup(sub) declares the flags on `sub` and returns the action to run after parsing.
using Setup = std::function<std::function<int()>(CLI::App& sub)>;

struct Command {
  std::string name, help;
  Setup setup;
};

std::vector<Command>& registry();

// The program's arguments after its name (argv[1..]), for commands that start copies of themselves
// (agf experiment --workers).
std::vector<std::string>& command_line();

struct Registrar {
  Registrar(const char* name, const char* help, Setup setup) { registry().push_back({name, help, std::move(setup)}); }
};

}  // namespace agf::app

#define AGF_COMMAND_CAT2(a, b) a##b
#define AGF_COMMAND_CAT(a, b) AGF_COMMAND_CAT2(a, b)
// AGF_COMMAND("mel", "one file's mel spectrogram", [](CLI::App& c) { ...; return [=]{ ...; return 0; }; });
#define AGF_COMMAND(name, help, ...) \
  static ::agf::app::Registrar AGF_COMMAND_CAT(agf_command_, __LINE__)(name, help, __VA_ARGS__)
