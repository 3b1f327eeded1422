// util/fs.h: atomic writes replace the target whole and leave no temporary file, a failed
// write leaves the old file untouched, ensure_dir is mkdir -p, errors name the path.
#include "util/fs.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "util/error.h"
#include "tests/test_util.h"

namespace agf {
namespace {

// One temporary folder for the whole run (removed at exit), a fresh sub-folder per test.
std::string fresh_dir(const std::string& name) {
  static const testing_util::TempDir root("fs");
  std::string d = root.file(name);
  ensure_dir(d);
  return d;
}

std::vector<std::string> list_dir(const std::string& d) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(d.c_str());
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(dir);
  return out;
}

TEST(Fs, AtomicWriteCreatesAndReplacesWhole) {
  const std::string d = fresh_dir("replace");
  const std::string p = d + "/ckpt.bin";
  write_file_atomic(p, std::string(10000, 'a'));
  EXPECT_EQ(read_file_bytes(p), std::string(10000, 'a'));
  write_file_atomic(p, std::string("short"));  // shorter: no tail of the old contents may remain
  EXPECT_EQ(read_file_bytes(p), "short");
  EXPECT_EQ(list_dir(d), std::vector<std::string>{"ckpt.bin"});  // no temporary file left
}

TEST(Fs, StreamingWriteAndFailureKeepsOldFile) {
  const std::string d = fresh_dir("stream");
  const std::string p = d + "/out.txt";
  write_file_atomic(p, [&](std::FILE* f) {
    for (int i = 0; i < 3; ++i) write_all(f, "ab", 2, p);
  });
  EXPECT_EQ(read_file_bytes(p), "ababab");
  EXPECT_THROW(write_file_atomic(
                   p,
                   [&](std::FILE* f) {
    write_all(f, "partial", 7, p);
    throw std::runtime_error("simulated failure mid-write");
                   }),
               std::runtime_error);
  EXPECT_EQ(read_file_bytes(p), "ababab");
  EXPECT_EQ(list_dir(d), std::vector<std::string>{"out.txt"});
}

TEST(Fs, EnsureDirAndErrors) {
  const std::string base = fresh_dir("mk");
  ensure_dir(base + "/a/b/c");
  ensure_dir(base + "/a/b/c");  // existing: fine
  struct stat st;
  ASSERT_EQ(::stat((base + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  write_file_atomic(base + "/file", std::string("x"));
  try {
    ensure_dir(base + "/file/sub");
    ADD_FAILURE() << "ensure_dir through a file accepted";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(base + "/file"), std::string::npos) << e.what();
  }
  try {
    write_file_atomic(base + "/missing/x.bin", std::string("x"));
    ADD_FAILURE() << "write into a missing folder accepted";
  } catch (const IOError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(base + "/missing/x.bin"), std::string::npos) << m;
    EXPECT_NE(m.find("No such file"), std::string::npos) << m;
  }
  EXPECT_THROW(read_file_bytes(base + "/nope"), IOError);
  EXPECT_EQ(parent_dir("a/b/c.x"), "a/b");
  EXPECT_EQ(parent_dir("c.x"), ".");
  EXPECT_EQ(parent_dir("/c.x"), "/");
  fsync_dir(base);
  EXPECT_THROW(fsync_dir(base + "/nope"), IOError);
}

}  // namespace
}  // namespace agf
