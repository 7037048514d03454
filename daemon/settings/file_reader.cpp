// Whole-file reads for the config and for secrets, with errno-based errors.
//
// open(2) + fstat(2) on the same descriptor, so the type and mode checked are those of the
// file actually read (no race between a stat() and the open). The buffer is sized once to
// max_size + 1: reading one byte more than allowed is how "too large" is detected for files
// whose size fstat does not know (e.g. /proc, pipes are refused anyway as non-regular), and
// a buffer that never reallocates never leaves a partial copy of a secret on the heap.

#include "daemon/settings/file_reader.h"

#include <cerrno>
#include <cstring>
#include <span>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/scope_exit.h"

namespace apig_certd::settings {

Result<FileContent> read_small_file(const std::filesystem::path& path, std::size_t max_size,
                                    const std::string& description) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    return fail(Error::from_errno("open", error).with_context(description));
  }
  const ScopeExit close_fd([fd] { ::close(fd); });
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    const int error = errno;
    return fail(Error::from_errno("fstat", error).with_context(description));
  }
  if (!S_ISREG(status.st_mode)) {
    return fail(ErrorCode::InvalidArgument, description + " is not a regular file");
  }
  const std::string too_large =
      description + " is larger than " + std::to_string(max_size) + " bytes";
  if (static_cast<std::size_t>(status.st_size) > max_size) {
    return fail(ErrorCode::InvalidArgument, too_large);
  }
  FileContent content;
  content.mode = status.st_mode;
  content.bytes.resize(max_size + 1);
  // On the error paths below the buffer may hold part of a secret: zero it before it is freed.
  ScopeExit wipe([&content] { ::explicit_bzero(content.bytes.data(), content.bytes.size()); });
  std::size_t total = 0;
  while (total < content.bytes.size()) {
    const std::span<char> unread = std::span(content.bytes).subspan(total);
    const ssize_t count = ::read(fd, unread.data(), unread.size());
    if (count < 0) {
      const int error = errno;
      if (error == EINTR) {
        continue;
      }
      return fail(Error::from_errno("read", error).with_context(description));
    }
    if (count == 0) {
      break;
    }
    total += static_cast<std::size_t>(count);
  }
  if (total > max_size) {
    return fail(ErrorCode::InvalidArgument, too_large);
  }
  wipe.cancel();
  content.bytes.resize(total);
  return content;
}

}  // namespace apig_certd::settings
