// FileLock: flock(2) with a bounded wait.
//
// flock rather than fcntl(F_SETLK) record locks, because fcntl locks belong to the process
// and are silently dropped when *any* descriptor of the file is closed, while flock locks
// belong to the open file description: predictable, and two opens in one process conflict,
// which is what the unit tests rely on. flock has no timeout, and a blocking flock could
// only be interrupted by a signal (our signals arrive through signalfd), so we poll with
// LOCK_NB on the monotonic clock, which a wall-clock jump cannot stretch or cut short.
//
// The holder writes its pid into the lock file, purely so that a waiter's error can say who
// holds the lock. Reading it is best-effort: a stale or half-written pid is simply left out.
// The file is never deleted: unlinking a lock file lets a third process lock a new inode
// while the old one is still held.

#include "daemon/sys/file_lock.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace apig_certd::sys {

namespace {

constexpr Duration kPollInterval{50};

// The pid the holder wrote, if the file holds exactly a positive decimal number (and a
// newline).
std::optional<long> read_holder_pid(int fd) {
  std::array<char, 24> buffer{};
  const ssize_t count = ::pread(fd, buffer.data(), buffer.size(), 0);
  if (count <= 0) {
    return std::nullopt;
  }
  long pid = 0;
  bool digits = false;
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
    const char c = buffer.at(i);
    if (c == '\n' && digits) {
      return pid > 0 ? std::optional<long>(pid) : std::nullopt;
    }
    if (c < '0' || c > '9' || pid > 1'000'000'000L) {
      return std::nullopt;
    }
    pid = pid * 10 + (c - '0');
    digits = true;
  }
  // No newline: the holder may still be writing; do not trust a prefix.
  return std::nullopt;
}

// Replaces the file's content with "PID\n". Best-effort: the lock is held either way, and the
// pid only improves another process's error message.
void write_our_pid(int fd) {
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) {
    return;
  }
  if (::pwrite(fd, text.data(), text.size(), 0) < 0) {
    return;
  }
}

}  // namespace

FileLock::FileLock(UniqueFd fd, std::filesystem::path path)
    : fd_(std::move(fd)), path_(std::move(path)) {}

Result<FileLock> FileLock::acquire(const std::filesystem::path& lock_file, Duration timeout) {
  const std::string context = "locking '" + lock_file.string() + "'";
  UniqueFd fd(::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
  if (!fd) {
    const int error = errno;
    return fail(Error::from_errno("open", error).with_context(context));
  }
  const Duration wait = std::max(timeout, Duration::zero());
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      break;
    }
    const int error = errno;
    // EINTR cannot really happen with LOCK_NB, but if it does it means "try again", as
    // EWOULDBLOCK does.
    if (error != EWOULDBLOCK && error != EINTR) {
      return fail(Error::from_errno("flock", error).with_context(context));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      const std::optional<long> holder = read_holder_pid(fd.get());
      std::string message = "another apig-certd holds the lock '" + lock_file.string() + "'";
      if (holder) {
        message += " (pid " + std::to_string(*holder) + ")";
      }
      message += "; waited " + format_duration(wait);
      Error timed_out(ErrorCode::Timeout, std::move(message));
      if (holder) {
        timed_out.with_field("lock_holder_pid", std::to_string(*holder));
      }
      return fail(std::move(timed_out));
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kPollInterval, deadline - now));
  }
  write_our_pid(fd.get());
  return FileLock(std::move(fd), lock_file);
}

}  // namespace apig_certd::sys
