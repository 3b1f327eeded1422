// Advisory whole-file locks (see filelock.h).
#include "util/filelock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <chrono>
#include <thread>
#include <unistd.h>

#include "util/error.h"
#include "util/interrupt.h"

namespace agf {

namespace {

#ifdef F_OFD_SETLK
constexpr int kSetLock = F_OFD_SETLK;
#else
constexpr int kSetLock = F_SETLK;  // per-process POSIX lock: still exclusive between processes
#endif

// 1: taken; 0: held by another; throws on every other failure.
int try_fcntl_lock(int fd, FileLock::Mode mode, const std::string& path) {
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = mode == FileLock::Mode::exclusive ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // the whole file
  for (;;) {
    if (::fcntl(fd, kSetLock, &fl) == 0) return 1;
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EACCES) return 0;
    if (err == ENOLCK || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL)
      throw IOError(str("cannot lock ", path, ": ", std::strerror(err),
                        ". Several agf processes share this folder through file locks (fcntl); use a file system "
                        "that supports them (local disks, NFSv4, NFSv3 with lockd, Lustre mounted with -o flock, "
                        "GPFS, BeeGFS)"));
    throw IOError(str("cannot lock ", path, ": ", std::strerror(err)));
  }
}

int open_lock_file(const std::string& path) {
  // O_RDWR: a write lock needs a descriptor open for writing (and shared locks are taken on the same file).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IOError(str("cannot open lock file ", path, ": ", std::strerror(errno)));
  return fd;
}

}  // namespace

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    unlock();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

void FileLock::unlock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor of the open file description releases the lock
  fd_ = -1;
}

FileLock FileLock::try_acquire(const std::string& path, Mode mode) {
  const int fd = open_lock_file(path);
  int got = 0;
  try {
    got = try_fcntl_lock(fd, mode, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  FileLock l;
  l.path_ = path;
  if (got) {
    l.fd_ = fd;
  } else {
    ::close(fd);
  }
  return l;
}

FileLock FileLock::acquire(const std::string& path, Mode mode) {
  // A polling wait rather than F_OFD_SETLKW: the blocking call is restarted after a signal (SA_RESTART), so
  // a SIGTERM would go unnoticed until the holder let go.
  for (int waited_ms = 0;;) {
    FileLock l = try_acquire(path, mode);
    if (l.held()) return l;
    throw_if_interrupted(str("waiting for the lock ", path));
    const int ms = waited_ms < 100 ? 5 : 50;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    waited_ms += ms;
  }
}

}  // namespace agf
