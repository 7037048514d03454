#pragma once

// Whole-file writes that readers see either entirely or not at all, and whole-file reads of
// small files, with errors that keep their errno.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "daemon/core/result.h"

namespace apig_certd::sys {

// What write_file_atomically() writes, produced in pieces: a producer calls `write` with each
// piece in order (so that a large file never has to be held whole in memory).
using ContentProducer =
    std::function<void(const std::function<void(std::string_view piece)>& write)>;

// Replaces `path` with `content`, atomically and durably: a temp file in the same directory
// (".NAME.tmp-PID-RANDOM", created O_EXCL), all bytes written, fchmod(mode) (exactly `mode`,
// whatever the umask), fsync, close, rename over `path`, fsync of the directory. A reader
// sees the old content or the new, never a mix; after a crash the file holds one of them.
// On failure the temp file is removed and `path` is unchanged. The Error names `path` in its
// context and keeps the errno of the failing call (errnum()), so callers can tell ENOSPC,
// EDQUOT, EROFS, EACCES, EFBIG apart; its code follows Error::from_errno (NotFound when the
// directory is missing, PermissionDenied for EACCES/EROFS, Unavailable for ENOSPC/EDQUOT,
// InvalidArgument when `path` is a directory).
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode);
// The same, with the content given by `produce`. After the first failed write the remaining
// pieces are dropped and that failure is returned.
Result<void> write_file_atomically(const std::filesystem::path& path,
                                   const ContentProducer& produce, mode_t mode);

// fsync(2) on a directory, so a rename or unlink in it survives a crash. Filesystems that
// cannot sync directories (EINVAL) count as success. Errors keep their errno.
Result<void> sync_directory(const std::filesystem::path& directory);

// Reads the whole of `path` (following symlinks), at most `max_bytes`. Errors keep their
// errno: NotFound (missing; errnum ENOENT), PermissionDenied (EACCES), InvalidArgument for a
// directory (errnum EISDIR), for another non-regular file or when larger than `max_bytes`
// (no errnum).
Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace apig_certd::sys
