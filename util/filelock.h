// Advisory file locks between processes, for several agf processes sharing one folder (agf experiment
// --workers / --devices / --shard, possibly on several nodes over a shared file system).
//
// The lock is an open-file-description lock (fcntl F_OFD_SETLK, Linux 3.15+) on a whole lock file, created
// if missing and never deleted (deleting a lock file another process holds open would split the lock).
// It is released by unlock(), by the destructor, and by the kernel when the process dies, whatever kills
// it: a worker that crashes or is SIGKILLed leaves its job lockable, and the next holder resumes it from
// its checkpoint. Two FileLocks in one process on one file exclude each other as two processes would.
//
// Shared file systems: NFSv4 and NFSv3 with lockd forward these locks to the server (and the Linux NFS
// client revalidates cached data when a lock is taken, so a reader under the lock sees the holder's
// writes); Lustre needs `-o flock` (not `localflock`, which is per node); GPFS and BeeGFS support them.
// Where the file system refuses (ENOLCK, ENOSYS, EOPNOTSUPP, EINVAL), the call throws IOError naming the
// file and the requirement: there is no silent fallback to running unlocked.
#pragma once
#include <string>

namespace agf {

class FileLock {
 public:
  enum class Mode { shared, exclusive };
  FileLock() = default;
  ~FileLock() { unlock(); }
  FileLock(FileLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Takes the lock, waiting as long as another holder keeps it (EINTR: retried, unless a stop was
  // requested through interrupt.h, when Interrupted is thrown).
  static FileLock acquire(const std::string& path, Mode mode = Mode::exclusive);
  // Takes the lock if nobody holds a conflicting one; otherwise returns a lock with held() false.
  static FileLock try_acquire(const std::string& path, Mode mode = Mode::exclusive);

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  void unlock();

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace agf
