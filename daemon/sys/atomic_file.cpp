// Atomic, durable whole-file writes and bounded whole-file reads.
//
// The write is the classic sequence (see rename(2) and fsync(2)): write a temp file in the
// *same directory* (rename is only atomic within one filesystem), fsync it so its data is on
// disk before the name points at it (otherwise a crash right after rename can leave an empty
// file under the real name, the ext4 "zero-length file" problem), rename it over the target,
// then fsync the directory so the rename itself is durable. The temp file is created with
// O_EXCL under a name no one else uses (pid plus random bytes), so two writers never share
// one, and it is removed on every failure path by a scope guard that is cancelled only once
// the rename has happened. The mode is set with fchmod(2) because open(2)'s mode argument is
// filtered by the umask, and the state file must be exactly 0600.
//
// Every error keeps the errno of the call that failed: a full disk (ENOSPC, EDQUOT), a
// read-only filesystem (EROFS) and a permission problem (EACCES) ask the operator for
// different things.

#include "daemon/sys/atomic_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/core/hex.h"
#include "daemon/core/in_quotes.h"
#include "daemon/core/scope_exit.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::sys {

namespace {

// How often to try another temp name when one already exists (a leftover of a crash with
// the same pid is the realistic case; a random collision practically never happens).
constexpr int kTempNameAttempts = 8;
// Read chunk for read_small_file().
constexpr std::size_t kReadChunk = 16UL * 1024;

// Eight random bytes as hex. getrandom(2) with GRND_NONBLOCK never blocks after early boot;
// should it fail, the monotonic clock is unique enough because O_EXCL catches collisions.
std::string random_suffix() {
  std::array<unsigned char, 8> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), GRND_NONBLOCK) !=
      static_cast<ssize_t>(bytes.size())) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    std::memcpy(bytes.data(), &now, std::min(sizeof(now), bytes.size()));
  }
  return hex_lower(bytes);
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  std::filesystem::path directory = path.parent_path();
  return directory.empty() ? std::filesystem::path(".") : directory;
}

// Writes all of `content`, continuing after short writes and EINTR.
Result<void> write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t count = ::write(fd, content.data(), content.size());
    if (count < 0) {
      const int error = errno;
      if (error == EINTR) {
        continue;
      }
      return fail(Error::from_errno("write", error));
    }
    if (count == 0) {
      // write(2) on a regular file reports errors as -1; zero for a non-empty buffer would
      // loop forever, so treat it as an I/O error.
      return fail(Error::from_errno("write", EIO));
    }
    content.remove_prefix(static_cast<std::size_t>(count));
  }
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode) {
  return write_file_atomically(
      path, [content](const std::function<void(std::string_view)>& write) { write(content); },
      mode);
}

Result<void> write_file_atomically(const std::filesystem::path& path,
                                   const ContentProducer& produce, mode_t mode) {
  const std::string context = "writing " + in_quotes(path);
  const std::filesystem::path directory = directory_of(path);
  const std::string prefix =
      "." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-";

  std::filesystem::path temp;
  UniqueFd fd;
  for (int attempt = 0; attempt < kTempNameAttempts && !fd; ++attempt) {
    temp = directory / (prefix + random_suffix());
    // The mode here is only what exists until fchmod below; 0600 keeps it private meanwhile.
    fd.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
      const int error = errno;
      if (error != EEXIST || attempt + 1 == kTempNameAttempts) {
        return fail(Error::from_errno("open", error)
                        .with_context("creating temp file " + in_quotes(temp))
                        .with_context(context));
      }
    }
  }
  // From here on the temp file exists and must not outlive a failure.
  ScopeExit remove_temp([&temp] { ::unlink(temp.c_str()); });
  const auto failed = [&](const char* call, int error) {
    return fail(Error::from_errno(call, error).with_context(context));
  };

  Result<void> written;
  produce([&](std::string_view piece) {
    if (written) {
      written = write_all(fd.get(), piece);
    }
  });
  if (!written) {
    return fail(std::move(written.error()).with_context(context));
  }
  if (::fchmod(fd.get(), mode) != 0) {
    return failed("fchmod", errno);
  }
  if (::fsync(fd.get()) != 0) {
    return failed("fsync", errno);
  }
  if (auto closed = fd.close(); !closed) {
    return fail(std::move(closed.error()).with_context(context));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return failed("rename", errno);
  }
  remove_temp.cancel();
  if (auto synced = sync_directory(directory); !synced) {
    // The new content is in place; only its durability across a crash is in doubt.
    return fail(std::move(synced.error()).with_context(context));
  }
  return {};
}

Result<void> sync_directory(const std::filesystem::path& directory) {
  const std::string context = "syncing directory " + in_quotes(directory);
  const UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    const int error = errno;
    return fail(Error::from_errno("open", error).with_context(context));
  }
  if (::fsync(fd.get()) != 0) {
    const int error = errno;
    // fsync(2): EINVAL means the file (here: this filesystem's directories) does not support
    // synchronisation; there is nothing more we could do.
    if (error != EINVAL) {
      return fail(Error::from_errno("fsync", error).with_context(context));
    }
  }
  return {};
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  const std::string context = "reading " + in_quotes(path);
  // O_NONBLOCK so that a FIFO planted at the path cannot block the open; it has no effect on
  // regular files.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    const int error = errno;
    return fail(Error::from_errno("open", error).with_context(context));
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    const int error = errno;
    return fail(Error::from_errno("fstat", error).with_context(context));
  }
  if (S_ISDIR(status.st_mode)) {
    return fail(Error::from_errno("read", EISDIR).with_context(context));
  }
  if (!S_ISREG(status.st_mode)) {
    return fail(Error(ErrorCode::InvalidArgument, "not a regular file").with_context(context));
  }
  const auto too_large = [&] {
    return fail(
        Error(ErrorCode::InvalidArgument, "larger than " + std::to_string(max_bytes) + " bytes")
            .with_context(context));
  };
  const auto size_hint = static_cast<std::size_t>(status.st_size);
  if (size_hint > max_bytes) {
    return too_large();
  }
  std::string content;
  content.reserve(size_hint);
  // The size from fstat is only a hint (the file may grow while we read): read until EOF.
  std::array<char, kReadChunk> chunk{};
  for (;;) {
    const ssize_t count = ::read(fd.get(), chunk.data(), chunk.size());
    if (count < 0) {
      const int error = errno;
      if (error == EINTR) {
        continue;
      }
      return fail(Error::from_errno("read", error).with_context(context));
    }
    if (count == 0) {
      break;
    }
    const auto length = static_cast<std::size_t>(count);
    if (content.size() + length > max_bytes) {
      return too_large();
    }
    content.append(chunk.data(), length);
  }
  return content;
}

}  // namespace apig_certd::sys
