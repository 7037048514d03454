#pragma once

// FileLock: an exclusive flock(2) on a lock file, held for as long as the object lives.

#include <filesystem>

#include "daemon/core/duration.h"
#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::sys {

class FileLock {
 public:
  // Opens (creating it with mode 0600 if missing) `lock_file` and takes an exclusive lock,
  // waiting up to `timeout` for another holder to let go (polling every 50 ms on the
  // monotonic clock; a zero timeout tries once). On success our pid is written into the file
  // so that a waiting process can name the holder.
  //
  // The lock belongs to the open file description (flock(2)): it excludes other processes
  // and also a second acquire() in this process. A child made by fork() without exec shares
  // the description and keeps the lock held until it exits too.
  //
  // Errors: Timeout when another holder kept the lock past `timeout`; the message names the
  // lock file, the holder's pid when it could be read (also as field "lock_holder_pid") and
  // the time waited. Open and flock failures keep their errno (NotFound when the directory
  // is missing, PermissionDenied, ...), with the lock file in the context.
  static Result<FileLock> acquire(const std::filesystem::path& lock_file, Duration timeout);

  // Releases the lock (by closing the descriptor).
  ~FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  // A moved-from FileLock holds nothing.
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

  // The lock file.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  FileLock(UniqueFd fd, std::filesystem::path path);

  UniqueFd fd_;
  std::filesystem::path path_;
};

}  // namespace apig_certd::sys
