// File identity for the bundle cache.
//
// stat(2) rather than statx(2): the five fields are all in struct stat with nanosecond times
// (st_mtim, st_ctim), and stat follows symlinks, which is what a binding's paths mean
// (certbot's live/ links into archive/). The clock is read before the stat so that the
// observation time is never later than the moment the file was looked at: a change right after
// the clock read then shows as a change "after" the observation, which is_racy() counts as
// racy too. The racy rule itself is a pure function so its edges are tested without sleeping.

#include "daemon/sys/file_identity.h"

#include <algorithm>
#include <cerrno>

#include <sys/stat.h>

namespace apig_certd::sys {

namespace {

// Nanoseconds since the epoch; seconds beyond what 64 bits of nanoseconds hold (before 1678 or
// after 2261, e.g. `touch -d 1600-01-01`) are clamped, which keeps them distinct from any
// time near now.
std::int64_t nanoseconds(const struct timespec& time) {
  constexpr std::int64_t kLimit = 9'000'000'000;
  const std::int64_t seconds = std::clamp<std::int64_t>(time.tv_sec, -kLimit, kLimit);
  const std::int64_t fraction = time.tv_nsec;
  return seconds * 1'000'000'000 + fraction;
}

}  // namespace

Result<ObservedFile> observe_file(const std::filesystem::path& path) {
  ObservedFile observed;
  observed.observed_at = std::chrono::system_clock::now();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int errnum = errno;
    return fail(Error::from_errno("stat", errnum).with_context("'" + path.string() + "'"));
  }
  // dev_t and ino_t are unsigned 64-bit, off_t signed 64-bit on the platforms we build for.
  observed.identity.device = info.st_dev;
  observed.identity.inode = info.st_ino;
  observed.identity.size = info.st_size;
  observed.identity.mtime_ns = nanoseconds(info.st_mtim);
  observed.identity.ctime_ns = nanoseconds(info.st_ctim);
  return observed;
}

bool is_racy(const FileIdentity& identity, SystemTime observed_at, Duration window) {
  const std::int64_t observed_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(observed_at.time_since_epoch()).count();
  const std::int64_t window_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(window).count();
  const std::int64_t last_change = std::max(identity.mtime_ns, identity.ctime_ns);
  // Written so that nothing overflows whatever the file times are: observed_ns is now.
  return last_change > observed_ns - window_ns;
}

}  // namespace apig_certd::sys
