#pragma once

// UniqueFd: sole owner of a file descriptor, closed exactly once when the owner goes away.
//
// Move-only, with no implicit conversion to int (unlike PowerDNS FDWrapper), so a raw fd can
// only leave it through get() (borrow) or release() (give up ownership). close(2) is never
// retried on EINTR: Linux has already freed the descriptor by then, and a retry could close
// a descriptor another thread has just been given.

#include <cerrno>
#include <utility>

#include <unistd.h>

#include "daemon/core/result.h"

namespace apig_certd::sys {

class UniqueFd {
 public:
  // Holds no descriptor.
  UniqueFd() = default;
  // Takes ownership of `fd` (a negative value means "none").
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }

  // The descriptor, still owned by this object; -1 when there is none.
  [[nodiscard]] int get() const noexcept { return fd_; }

  // Gives up ownership without closing; the caller now owns the returned descriptor.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the current descriptor (if any, ignoring errors) and takes ownership of `fd`.
  void reset(int fd = -1) noexcept {
    const int old = std::exchange(fd_, fd);
    if (old >= 0) {
      ::close(old);
    }
  }

  // Closes the descriptor now and reports what close(2) said, for writers that must know
  // (NFS and quotas may report a failed write only at close). The object holds no descriptor
  // afterwards, whatever the outcome. EINTR is not an error: the descriptor is gone, and
  // callers that care about the data fsync(2) before closing.
  Result<void> close() {
    const int old = std::exchange(fd_, -1);
    if (old >= 0 && ::close(old) != 0) {
      const int error = errno;
      if (error != EINTR) {
        return fail(Error::from_errno("close", error));
      }
    }
    return {};
  }

  // True when a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace apig_certd::sys
