#include "daemon/sys/event_fd.h"

#include <cerrno>
#include <cstdint>

#include <sys/eventfd.h>
#include <unistd.h>

namespace apig_certd::sys {

Result<EventFd> EventFd::create() {
  UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (fd.get() < 0) {
    return fail(Error::from_errno("eventfd", errno));
  }
  return EventFd(std::move(fd));
}

void EventFd::signal() const {
  const std::uint64_t one = 1;
  // Cannot fail short of a counter overflow (2^64 - 1 unread signals), which would still
  // leave the fd readable: the loop wakes up either way.
  [[maybe_unused]] const ssize_t written = ::write(fd_.get(), &one, sizeof one);
}

void EventFd::drain() const {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t got = ::read(fd_.get(), &count, sizeof count);
}

}  // namespace apig_certd::sys
