// Helpers shared by the libFuzzer targets: the readers under test take file paths, so each input is
// written to a file in a per-process scratch folder (under /dev/shm when it exists: no disk I/O).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace agf_fuzz {

// A folder made once per process; removed at exit with whatever the target left in it.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* base =
        ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    std::string tmpl = std::string(base) + "/agf-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    static std::string removed;
    removed = tmpl;
    std::atexit([] { std::system(("rm -rf '" + removed + "'").c_str()); });
    return tmpl;
  }();
  return dir;
}

// Writes `n` bytes to scratch_dir()/name (replacing it) and returns the path; aborts if it cannot.
inline std::string write_scratch(const std::string& name, const uint8_t* data, size_t n) {
  const std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (n && std::fwrite(data, 1, n, f) != n) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace agf_fuzz
