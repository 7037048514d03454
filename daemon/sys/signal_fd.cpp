#include "daemon/sys/signal_fd.h"

#include <cerrno>
#include <csignal>

#include <sys/signalfd.h>
#include <unistd.h>

namespace apig_certd::sys {

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP}) {
    sigaddset(&set, signal);
  }
  return set;
}

Result<SignalFd> SignalFd::create(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal : signals) {
    sigaddset(&set, signal);
  }
  return create(set);
}

Result<SignalFd> SignalFd::create(const sigset_t& signals) {
  UniqueFd fd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (fd.get() < 0) {
    return fail(Error::from_errno("signalfd", errno));
  }
  return SignalFd(std::move(fd));
}

Result<int> SignalFd::read() {
  signalfd_siginfo info{};
  const ssize_t got = ::read(fd_.get(), &info, sizeof info);
  if (got == static_cast<ssize_t>(sizeof info)) {
    return static_cast<int>(info.ssi_signo);
  }
  if (got < 0 && errno == EAGAIN) {
    return 0;
  }
  return fail(Error::from_errno("read(signalfd)", got < 0 ? errno : EIO));
}

}  // namespace apig_certd::sys
