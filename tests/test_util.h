// Helpers shared by every test suite: a temporary folder that removes itself, and writing a test input
// file. Reading a whole file is the library's agf::read_file_bytes (util/fs.h, included here): it throws
// IOError naming the path, so a missing file fails the test instead of comparing as "".
// Helpers of one area stay beside its tests (tests/audio/audio_test_util.h, tests/kernels/gradcheck.h, ...);
// tests/tiny_work.h makes a tiny synthetic work folder, tests/agf_child.h runs the built agf.
#pragma once
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "util/error.h"
#include "util/fs.h"

namespace agf::testing_util {

// A new, empty folder under the system's temporary folder (std::filesystem::temp_directory_path(): $TMPDIR
// or /tmp), named agf_<tag>_XXXXXX by mkdtemp (unique across concurrent test processes and repeated runs).
// It is removed with everything in it when the object goes out of scope, so a test run leaves nothing in
// /tmp. Neither copied nor moved: hold it by value in the test or fixture, or in a unique_ptr.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("agf_" + tag + "_XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    path_ = tmpl;
  }
  ~TempDir() {
    if (::getpid() != owner_) return;  // a forked child leaving: the folder is its parent's
    std::error_code ec;                // a destructor must not throw; a folder left behind is the only harm
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // FOLDER/name (name may hold '/'); nothing is created.
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
  pid_t owner_ = ::getpid();
};

// Writes BYTES to PATH, created or truncated: a test input (not atomic, no fsync, unlike the library's
// write_file_atomic). Throws IOError when it cannot.
inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f.flush()) throw IOError("cannot write " + path);
}

}  // namespace agf::testing_util
