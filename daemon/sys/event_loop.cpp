#include "daemon/sys/event_loop.h"

#include <array>
#include <cerrno>

#include <sys/epoll.h>

namespace apig_certd::sys {

Result<EventLoop> EventLoop::create() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll.get() < 0) {
    return fail(Error::from_errno("epoll_create1", errno));
  }
  return EventLoop(std::move(epoll));
}

Result<void> EventLoop::watch(int fd, Callback callback) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    return fail(Error::from_errno("epoll_ctl(EPOLL_CTL_ADD)", errno));
  }
  callbacks_[fd] = std::make_shared<Callback>(std::move(callback));
  return {};
}

void EventLoop::unwatch(int fd) {
  if (callbacks_.erase(fd) > 0) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }
}

Result<void> EventLoop::run() {
  stopping_ = false;
  std::array<epoll_event, 16> events{};
  while (!stopping_) {
    const int ready =
        ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(Error::from_errno("epoll_wait", errno));
    }
    for (int i = 0; i < ready && !stopping_; ++i) {
      const auto found = callbacks_.find(events.at(static_cast<std::size_t>(i)).data.fd);
      if (found == callbacks_.end()) {
        continue;  // Unwatched by an earlier callback of this round.
      }
      const std::shared_ptr<Callback> callback = found->second;
      (*callback)();
    }
  }
  return {};
}

}  // namespace apig_certd::sys
