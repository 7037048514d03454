#pragma once

// EventLoop: the daemon's one loop, an epoll(7) wrapper over file descriptors.
//
// Every source is an fd (signalfd, inotify, timerfds, eventfd) watched level-triggered for
// EPOLLIN; when one is readable its callback runs on the loop thread. Callbacks are short,
// never throw and must read their fd (level-triggered: an unread fd fires again). When
// nothing is readable the thread sleeps in epoll_wait with no timeout: nothing wakes up
// while nothing is due.

#include <functional>
#include <map>
#include <memory>

#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::sys {

class EventLoop {
 public:
  using Callback = std::function<void()>;

  static Result<EventLoop> create();

  // Calls `callback` on the loop thread whenever `fd` is readable. The fd stays owned by the
  // caller and must stay open until unwatch() (or the loop's end).
  Result<void> watch(int fd, Callback callback);
  void unwatch(int fd);

  // Runs until stop() is called (from a callback) or epoll fails. Returns the failure.
  Result<void> run();
  void stop() { stopping_ = true; }

 private:
  explicit EventLoop(UniqueFd epoll) : epoll_(std::move(epoll)) {}

  UniqueFd epoll_;
  // Shared so a callback that unwatches itself (or another fd) while running stays alive.
  std::map<int, std::shared_ptr<Callback>> callbacks_;
  bool stopping_ = false;
};

}  // namespace apig_certd::sys
