#pragma once

// Reading a small file whole (the config file, a secret). Internal to settings/.

#include <cstddef>
#include <filesystem>
#include <string>

#include <sys/types.h>

#include "daemon/core/result.h"

namespace apig_certd::settings {

struct FileContent {
  std::string bytes;
  mode_t mode = 0;  // st_mode of the opened file (fstat), for permission checks.
};

// Opens `path` (following symlinks), requires a regular file of at most `max_size` bytes
// and reads it. The buffer is allocated once and never grows, so a secret read with it
// leaves no stray copies in freed memory.
// Errors (the message names the file as `description`): NotFound, PermissionDenied (open or
// read failed, see Error::from_errno), InvalidArgument (not a regular file, too large).
Result<FileContent> read_small_file(const std::filesystem::path& path, std::size_t max_size,
                                    const std::string& description);

}  // namespace apig_certd::settings
