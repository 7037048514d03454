#pragma once

// SignalFd: the signals the daemon handles (SIGTERM, SIGINT, SIGHUP), delivered as reads of
// a signalfd(2) on the loop thread: no handlers, no volatile flags. The signals must already
// be blocked in every thread (main() blocks them first thing).

#include <csignal>
#include <initializer_list>

#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::sys {

// The signals the daemon takes over: SIGTERM and SIGINT (stop), SIGHUP (reload). main()
// blocks them in every thread; commands other than `run` unblock them again.
sigset_t daemon_signals();

class SignalFd {
 public:
  static Result<SignalFd> create(std::initializer_list<int> signals);
  static Result<SignalFd> create(const sigset_t& signals);

  [[nodiscard]] int fd() const { return fd_.get(); }

  // The next pending signal number, or 0 when none is pending.
  Result<int> read();

 private:
  explicit SignalFd(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace apig_certd::sys
