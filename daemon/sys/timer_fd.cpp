#include "daemon/sys/timer_fd.h"

#include <cerrno>
#include <cstdint>
#include <ctime>

#include <sys/timerfd.h>
#include <unistd.h>

namespace apig_certd::sys {

namespace {

timespec to_timespec(Duration duration) {
  const auto nanoseconds = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count());
  timespec value{};
  // int64_t is time_t and long on our LP64 targets.
  value.tv_sec = nanoseconds / 1'000'000'000;
  value.tv_nsec = nanoseconds % 1'000'000'000;
  return value;
}

Result<void> set_time(int fd, int flags, const itimerspec& spec) {
  if (::timerfd_settime(fd, flags, &spec, nullptr) != 0) {
    return fail(Error::from_errno("timerfd_settime", errno));
  }
  return {};
}

}  // namespace

Result<TimerFd> TimerFd::monotonic() {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (fd.get() < 0) {
    return fail(Error::from_errno("timerfd_create(CLOCK_MONOTONIC)", errno));
  }
  return TimerFd(std::move(fd), false);
}

Result<TimerFd> TimerFd::clock_change_detector() {
  UniqueFd fd(::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC));
  if (fd.get() < 0) {
    return fail(Error::from_errno("timerfd_create(CLOCK_REALTIME)", errno));
  }
  TimerFd timer(std::move(fd), true);
  if (Result<void> armed = timer.arm_detector(); !armed) {
    return fail(std::move(armed.error()));
  }
  return timer;
}

Result<void> TimerFd::arm_detector() {
  // Far in the future (the largest time_t value that is safe everywhere); it never fires.
  itimerspec spec{};
  spec.it_value.tv_sec = INT32_MAX;
  return set_time(fd_.get(), TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, spec);
}

Result<void> TimerFd::arm_once(Duration delay) {
  itimerspec spec{};
  spec.it_value = to_timespec(delay);
  return set_time(fd_.get(), 0, spec);
}

Result<void> TimerFd::arm_periodic(Duration interval) {
  itimerspec spec{};
  spec.it_value = to_timespec(interval);
  spec.it_interval = spec.it_value;
  return set_time(fd_.get(), 0, spec);
}

Result<void> TimerFd::disarm() {
  return set_time(fd_.get(), 0, itimerspec{});
}

Result<TimerFd::Expiry> TimerFd::read() {
  std::uint64_t count = 0;
  const ssize_t got = ::read(fd_.get(), &count, sizeof count);
  if (got == static_cast<ssize_t>(sizeof count)) {
    return Expiry{count, false};
  }
  if (got < 0 && errno == ECANCELED && detector_) {
    if (Result<void> armed = arm_detector(); !armed) {
      return fail(std::move(armed.error()));
    }
    return Expiry{0, true};
  }
  if (got < 0 && errno == EAGAIN) {
    return Expiry{};
  }
  return fail(Error::from_errno("read(timerfd)", got < 0 ? errno : EIO));
}

}  // namespace apig_certd::sys
