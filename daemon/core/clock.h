#pragma once

// Clock: the only way our code asks what time it is, so tests can set the time.
//
// Two timelines: wall-clock time (certificate validity, names, state timestamps) and
// monotonic time (timeouts, backoff, scheduling), which never jumps when the clock is set.
// Sleeping goes through the clock too, so a test's fake clock turns a backoff of minutes into
// an advance of its monotonic time.

#include <chrono>

#include "daemon/core/duration.h"
#include "daemon/core/stop_signal.h"

namespace apig_certd {

using SystemTime = std::chrono::system_clock::time_point;
using MonotonicTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  Clock(Clock&&) = delete;
  Clock& operator=(Clock&&) = delete;

  // Wall-clock time.
  [[nodiscard]] virtual SystemTime now() const = 0;
  // Monotonic time, for durations and deadlines.
  [[nodiscard]] virtual MonotonicTime monotonic_now() const = 0;
  // Sleeps for `duration`, cut short when `stop` (may be null) is requested. True when the
  // whole time passed.
  virtual bool sleep_for(Duration duration, StopSignal* stop) const = 0;
};

// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] SystemTime now() const override { return std::chrono::system_clock::now(); }
  [[nodiscard]] MonotonicTime monotonic_now() const override {
    return std::chrono::steady_clock::now();
  }
  bool sleep_for(Duration duration, StopSignal* stop) const override;
};

}  // namespace apig_certd
