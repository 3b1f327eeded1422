// Atomic file writes and folder helpers (see fs.h). The temporary file is `<path>.tmp.<pid>.<n>`
// in the target's folder, so the final rename(2) never crosses a file system.
#include "util/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace agf {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Closes and removes the temporary file unless release() was called (error paths only).
struct TempFile {
  std::string path;
  std::FILE* f = nullptr;
  bool keep = false;
  ~TempFile() {
    if (f) std::fclose(f);
    if (!keep) ::unlink(path.c_str());
  }
};

std::string temp_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return str(path, ".tmp.", ::getpid(), ".", counter++);
}

}  // namespace

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void ensure_dir(const std::string& path) {
  AGF_CHECK(!path.empty(), IOError, "ensure_dir: empty path");
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    prefix = path.substr(0, next);
    pos = next;
    if (prefix.empty() || prefix == "/") continue;
    struct stat st;
    if (::stat(prefix.c_str(), &st) == 0) {
      AGF_CHECK(S_ISDIR(st.st_mode), IOError, "ensure_dir: ", prefix, " exists and is not a folder (creating ", path,
                ")");
      continue;
    }
    if (::mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      throw IOError(str("ensure_dir: cannot create ", prefix, ": ", errno_text()));
  }
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IOError(str("fsync_dir: cannot open folder ", dir, ": ", errno_text()));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems do not support fsync on folders (EINVAL); that is not a write failure.
  if (rc != 0 && err != EINVAL) throw IOError(str("fsync_dir: ", dir, ": ", std::strerror(err)));
}

void write_all(std::FILE* f, const void* bytes, size_t nbytes, const std::string& path) {
  if (nbytes == 0) return;
  if (std::fwrite(bytes, 1, nbytes, f) != nbytes)
    throw IOError(str("write ", path, ": short write of ", nbytes, " bytes: ", errno_text()));
}

void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& write) {
  AGF_CHECK(!path.empty() && path.back() != '/', IOError, "write_file_atomic: not a file path: '", path, "'");
  TempFile tmp;
  tmp.path = temp_name(path);
  int fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw IOError(str("cannot create ", tmp.path, " (to write ", path, "): ", errno_text()));
  tmp.f = ::fdopen(fd, "wb");
  if (!tmp.f) {
    ::close(fd);
    throw IOError(str("fdopen ", tmp.path, ": ", errno_text()));
  }
  write(tmp.f);
  if (std::fflush(tmp.f) != 0) throw IOError(str("write ", tmp.path, ": ", errno_text()));
  if (::fsync(::fileno(tmp.f)) != 0) throw IOError(str("fsync ", tmp.path, ": ", errno_text()));
  std::FILE* f = tmp.f;
  tmp.f = nullptr;
  if (std::fclose(f) != 0) throw IOError(str("close ", tmp.path, ": ", errno_text()));
  if (::rename(tmp.path.c_str(), path.c_str()) != 0)
    throw IOError(str("cannot rename ", tmp.path, " to ", path, ": ", errno_text()));
  tmp.keep = true;  // it is now `path`
  fsync_dir(parent_dir(path));
}

void write_file_atomic(const std::string& path, const void* bytes, size_t nbytes) {
  write_file_atomic(path, [&](std::FILE* f) { write_all(f, bytes, nbytes, path); });
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

std::string read_file_bytes(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw IOError(str("cannot open ", path, ": ", errno_text()));
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  bool bad = std::ferror(f);
  std::fclose(f);
  AGF_CHECK(!bad, IOError, "read error on ", path);
  return out;
}

}  // namespace agf
