#pragma once

// FileIdentity: what stat(2) says about a file, enough to tell "unchanged since last time"
// without reading it, the way git's index and make do. The bundle cache (engine/bundle_cache.h)
// keeps one per certificate and key file in the state.

#include <cstdint>
#include <filesystem>

#include "daemon/core/clock.h"
#include "daemon/core/duration.h"
#include "daemon/core/result.h"

namespace apig_certd::sys {

// stat(2) of a path through its symlinks. A rename over the file or a symlink retargeted
// changes the inode; a rewrite in place changes the mtime (and usually the size); chmod, chown
// and every write change the ctime, which no one can set back (utimensat can set the mtime).
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;  // st_mtim, nanoseconds since the epoch
  std::int64_t ctime_ns = 0;  // st_ctim, nanoseconds since the epoch

  bool operator==(const FileIdentity&) const = default;
};

// A FileIdentity and the wall-clock time read just before the stat(2) that produced it.
struct ObservedFile {
  FileIdentity identity;
  SystemTime observed_at{};
};

// stat(2) of `path`, following symlinks, with the real-time clock read right before it (the
// file times come from the kernel's clock, so an injected Clock would be the wrong one to
// compare them with). Errors keep their errno (NotFound, PermissionDenied, ...).
Result<ObservedFile> observe_file(const std::filesystem::path& path);

// How close to the moment a file was observed its last change may be before the observation
// cannot vouch for the content (see is_racy()). Two seconds covers filesystems whose
// timestamps have a granularity of up to two seconds (FAT) and the kernel's coarse clock.
inline constexpr Duration kRacyWindow = std::chrono::seconds(2);

// Whether a file observed at `observed_at` changed (mtime or ctime) within `window` of that
// moment, or after it (a clock set back, another host's clock on a network filesystem). Such
// a file may be written again within the same timestamp granule without its identity changing
// (git's "racily clean" entries), so what was read from it must not be trusted on identity
// alone later. Pure.
bool is_racy(const FileIdentity& identity, SystemTime observed_at, Duration window = kRacyWindow);

}  // namespace apig_certd::sys
