// Whole-file reads for the config and for secrets, with errno-based errors.
//
// open(2) + fstat(2) on the same descriptor, so the type and mode checked are those of the
// file actually read (no race between a stat() and the open). The buffer is sized to fstat's
// size + 1: reading one byte more than expected is how a longer file is noticed (one being
// written, or a /proc file whose size fstat does not know; pipes are refused anyway as
// non-regular). It then moves to a larger buffer, at most max_size + 1 (reading that much is
// "too large"), and the old one is wiped first, so no partial copy of a secret is left on
// the heap; std::string never reallocates behind our back because nothing appends to it.

#include "daemon/settings/file_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/scope_exit.h"

namespace apig_certd::settings {

namespace {

// The smallest buffer after a first growth (a /proc file reports size 0).
constexpr std::size_t kFirstGrowth = 4096;

}  // namespace

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
  // Sized by fstat, plus the byte that tells a file that grew: not max_size + 1 up front,
  // which zero-filled 16 MiB for every config read (4,096 page faults, 58 ms on the
  // benchmark VM). A file that is longer than fstat said (one being written, a procfs file
  // that reports 0) moves to a larger buffer, and the smaller one is wiped.
  content.bytes.resize(static_cast<std::size_t>(status.st_size) + 1);
  // On the error paths below the buffer may hold part of a secret: zero it before it is freed.
  ScopeExit wipe([&content] { ::explicit_bzero(content.bytes.data(), content.bytes.size()); });
  std::size_t total = 0;
  for (;;) {
    if (total == content.bytes.size()) {
      if (content.bytes.size() > max_size) {
        break;  // max_size + 1 bytes read: too large
      }
      std::string larger(std::min(std::max(content.bytes.size() * 2, kFirstGrowth), max_size + 1),
                         '\0');
      std::copy(content.bytes.begin(), content.bytes.end(), larger.begin());
      ::explicit_bzero(content.bytes.data(), content.bytes.size());
      content.bytes.swap(larger);
    }
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
