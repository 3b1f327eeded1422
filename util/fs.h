// File-system helpers: atomic whole-file writes (temporary file in the same folder, fsync, rename,
// fsync the folder: POSIX rename(2) replaces the target atomically), mkdir -p and folder fsync.
// Every failure throws agf::IOError naming the path and strerror(errno).
#pragma once
#include <cstdio>
#include <functional>
#include <string>

namespace agf {

// Creates `path` and any missing parents (mkdir -p). An existing folder is fine; an existing
// non-folder at any component is an IOError.
void ensure_dir(const std::string& path);

// fsync(2) on a folder, so that a rename or a new entry in it survives a crash.
void fsync_dir(const std::string& dir);

// The folder part of a path ("a/b/c.x" -> "a/b", "c.x" -> ".", "/c.x" -> "/").
std::string parent_dir(const std::string& path);

// Writes `bytes` to `path` atomically: readers see either the old file whole or the new one whole.
void write_file_atomic(const std::string& path, const void* bytes, size_t nbytes);
void write_file_atomic(const std::string& path, const std::string& bytes);

// Streaming variant: `write` is called once with a FILE* open on the temporary file and writes
// everything; use write_all() for checked writes. If `write` throws, the temporary file is removed,
// the target is untouched, and the exception propagates.
void write_file_atomic(const std::string& path, const std::function<void(std::FILE*)>& write);

// fwrite that throws IOError (naming `path`) on a short write.
void write_all(std::FILE* f, const void* bytes, size_t nbytes, const std::string& path);

// Reads a whole file into a string; IOError when it cannot be opened or read.
std::string read_file_bytes(const std::string& path);

}  // namespace agf
