#pragma once

// TimerFd: a timerfd(2) as an event-loop source.
//
// Monotonic timers drive the deadlines (debounce, the next due pass, the watchdog). A
// realtime timer armed far in the future with TFD_TIMER_CANCEL_ON_SET does not fire; its read
// fails with ECANCELED when someone sets the wall clock, which is how the daemon notices a
// clock jump and recomputes its expiry deadlines (the timesyncd trick).

#include "daemon/core/duration.h"
#include "daemon/core/result.h"
#include "daemon/sys/unique_fd.h"

namespace apig_certd::sys {

class TimerFd {
 public:
  static Result<TimerFd> monotonic();
  // A realtime timer that only reports wall-clock changes (see read()).
  static Result<TimerFd> clock_change_detector();

  [[nodiscard]] int fd() const { return fd_.get(); }

  // One-shot after `delay` (clamped to at least 1 ns; zero would disarm).
  Result<void> arm_once(Duration delay);
  // Every `interval`, first after `interval`.
  Result<void> arm_periodic(Duration interval);
  Result<void> disarm();

  // Reads the expiration count (0 when nothing was pending). For the clock-change detector
  // it reports `clock_changed` and re-arms itself.
  struct Expiry {
    std::uint64_t count = 0;
    bool clock_changed = false;
  };
  Result<Expiry> read();

 private:
  TimerFd(UniqueFd fd, bool detector) : fd_(std::move(fd)), detector_(detector) {}
  Result<void> arm_detector();

  UniqueFd fd_;
  bool detector_ = false;
};

}  // namespace apig_certd::sys
