#pragma once

// EventFd: one thread tells the loop "something finished" (a pass's worker thread posting
// its result back). signal() may be called from any thread; drain() on the loop thread.

#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::sys {

class EventFd {
 public:
  static Result<EventFd> create();

  [[nodiscard]] int fd() const { return fd_.get(); }
  void signal() const;
  void drain() const;

 private:
  explicit EventFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace apig_certd::sys
