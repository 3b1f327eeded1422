// The built agf as a child process, for tests of the command line (exit statuses, signals, several processes):
// spawn_agf starts `agf ARGS...` with stdout and stderr appended to LOG and the environment plus ENV ("K=V";
// a K set in both takes ENV's value). Needs AGF_BINARY (the test target's compile definition).
#pragma once
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/fs.h"

extern char** environ;

namespace agf::testing_util {

struct Child {
  pid_t pid = -1;
  std::string log;
};

inline Child spawn_agf(const std::vector<std::string>& args, const std::string& log,
                       const std::vector<std::string>& env_extra = {}) {
  std::vector<std::string> full = {AGF_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : full) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    bool overridden = false;
    for (const std::string& x : env_extra)
      if (kv.compare(0, x.find('=') + 1, x, 0, x.find('=') + 1) == 0) overridden = true;
    if (!overridden) env_s.push_back(kv);
  }
  env_s.insert(env_s.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> envp;
  for (auto& s : env_s) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  Child c;
  c.log = log;
  const int rc = posix_spawn(&c.pid, AGF_BINARY, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  EXPECT_EQ(rc, 0) << "cannot start " << AGF_BINARY << ": " << std::strerror(rc);
  return c;
}

// The child's exit status (-signal when a signal ended it).
inline int wait_child(const Child& c) {
  int st = 0;
  if (::waitpid(c.pid, &st, 0) != c.pid) return -1000;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1000;
}

inline std::string log_of(const Child& c) {
  return std::filesystem::exists(c.log) ? read_file_bytes(c.log) : std::string("(no log)");
}

inline int run_agf(const std::vector<std::string>& args, const std::string& log,
                   const std::vector<std::string>& env = {}) {
  return wait_child(spawn_agf(args, log, env));
}

}  // namespace agf::testing_util
